"""Run every benchmark module in bench/ and print its numbers."""
import importlib
import pkgutil

import bench

for module in pkgutil.iter_modules(bench.__path__):
    if module.name.startswith("bench_") or module.name in ("extraction", "neardup", "stories", "entities", "learned", "keywords"):
        importlib.import_module(f"bench.{module.name}").main()

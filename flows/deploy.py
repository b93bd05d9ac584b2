"""Work-pool deployments: the scheduled flow once per shard of the feed list, for Prefect workers
(`prefect worker start --pool NAME`) on this machine or others that have newsflow at the same path."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectNotFound

from flows.ingest import scheduled_ingest

# The code workers load: this checkout (or install) of newsflow, entrypoint relative to it.
SOURCE = Path(__file__).resolve().parent.parent
ENTRYPOINT = "flows/ingest.py:scheduled_ingest"


def ensure_process_pool(name: str) -> bool:
    """Create the work pool (type process: each flow run a subprocess of a worker) unless it exists.
    Returns whether it was created."""
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
            return False
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=name, type=ProcessWorker.type,
                                                   base_job_template=ProcessWorker.get_default_base_job_template()))
            return True


def deployment_names(name: str, shards: int) -> list[str]:
    return [name] if shards == 1 else [f"{name}-shard-{i}-of-{shards}" for i in range(1, shards + 1)]


def deploy_shards(*, pool: str, shards: int, feeds: str, db: str, name: str,
                  interval: timedelta | None = None, cron: str | None = None) -> list[str]:
    """One deployment per shard on `pool`, each on the same schedule and limited to one run at a
    time; together they cover every feed once. Returns the deployments' full names."""
    ensure_process_pool(pool)
    flow = scheduled_ingest.from_source(source=str(SOURCE), entrypoint=ENTRYPOINT)
    created = []
    for index, deployment in enumerate(deployment_names(name, shards), start=1):
        parameters = {"feeds": feeds, "db": db} | ({"shard": f"{index}/{shards}"} if shards > 1 else {})
        flow.deploy(name=deployment, work_pool_name=pool, parameters=parameters, interval=interval, cron=cron,
                    concurrency_limit=1, build=False, push=False, print_next_steps=False, ignore_warnings=True)
        created.append(f"{scheduled_ingest.name}/{deployment}")
    return created

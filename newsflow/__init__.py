"""newsflow package."""

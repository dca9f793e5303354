"""Declarative platform states ("worlds") and their loader."""

from evals.worlds.schema import World, load_world, world_path

__all__ = ["World", "load_world", "world_path"]

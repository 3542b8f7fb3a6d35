"""Writes of the workflows app: the engine (engine.py), assignment and the waiting queue (assign.py), the
steps (steps.py), conditions (conditions.py), the dry run (dryrun.py) and the admin's saves (setup.py)."""

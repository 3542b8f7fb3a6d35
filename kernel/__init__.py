"""The kernel every app stands on: domain events recorded by services and dispatched after commit."""

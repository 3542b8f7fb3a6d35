"""The one error a workflow's step raises when it cannot do its part (logged on the run, shown in the admin)."""


class WorkflowError(Exception):
    pass

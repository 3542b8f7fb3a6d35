"""Inbox writes. Each module is one topic; every function takes the workspace, keyword-only."""

"""Writes. Each service validates, saves, records who and why, and queues side effects on commit.

Change reasons written to history come from one vocabulary (ChangeReason) so they can be queried.
"""

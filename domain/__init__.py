"""What happened and what it is worth.

Aggregates record facts as immutable events; rulebooks are data; one pure
function turns the facts of an agent-month into a scorecard. This package
imports only the standard library and ``eventsourcing``.
"""

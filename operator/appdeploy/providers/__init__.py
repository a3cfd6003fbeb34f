"""The programs a check step's Job runs: measure a health figure, and nothing more.

Each provider module turns its input (the step's resolved ``check.provider``)
into one request to an outside service and its answer into a ``Measurement``:
a value and a sample size, or the reason there is nothing to judge, or an
error. Judging the value (conditions, ``minSample``, limits) is the planner's,
never a provider's; docs/rollouts.md ("Providers") is the contract.
"""

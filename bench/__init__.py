"""Performance benchmarks of the appdeploy operator on the local control plane.

Figures are reported (docs/benchmarks.md), never asserted in tests: timing
on a shared 2-core machine is too noisy to be a pass/fail signal, but it is
what tells us where the operator spends its time. Run ``python -m bench``
(or ``make bench``); see ``python -m bench --help``.
"""

"""The spec fuzzer (issue 10, chaos suite): generated releases through every gate that judges one.

``valid`` draws releases the API accepts, ``mutations`` breaks them in the
ways people and tools do, ``oracle`` runs each through ``parse_spec``, the
admission webhook's handler, the CRD's schema and ``plan`` and checks they
agree. ``python -m tests.fuzz`` (``make fuzz``) runs many and prints figures;
tests/unit/test_spec_fuzz.py runs a few in ``make test``.
"""

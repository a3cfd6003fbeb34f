"""``make demo``: one realistic release, end to end, on the local control plane.

The demo exists so that a newcomer sees the whole relay in about a minute:
parallel iOS and Android builds whose outputs flow downstream, people
approving gates with ``kubectl appdeploy approve`` through the API server as
themselves (impersonated), their decisions signed by the operator's admission
webhook and verified, who was told what through which channel (and a
reminder while QA waits), soak waits and a staged rollout, and the release
ending ``Succeeded``. Each person also gets a web console acting as them, so
any gate can be approved from the browser instead. With ``--auto-approve`` it
approves by itself (two people at the same moment at the QA gate, compliance
through carol's console as her browser would) and its exit code says whether
the release succeeded, so CI can run it as a smoke test of the whole stack.

Modules: ``release`` builds the demo variant of the example (pure),
``channels`` the demo's NotificationChannels (pure), ``providers`` runs the
fake Slack, webhook, SMTP and PagerDuty servers they deliver to,
``cluster`` starts or reuses the control plane, ``install`` creates what the
example needs in the cluster, ``webhooks`` registers the operator's admission
webhooks on 127.0.0.1, ``approvers`` knows who approves which gate and how,
``consoles`` runs a web console per person and approves through one,
``prompt`` says what to run or open at a gate, ``leftover`` stops what a
killed demo left running, ``watch`` streams changes, ``view`` prints them,
``handoffs`` prints who was told what and what the providers received,
``report`` how the release ended, ``session`` ties the loop together and
``__main__`` is the command line.
"""

"""The console's in-cluster mode in the chart: off by default; on, a pod with no rights of its own.

In client mode the console forwards each person's bearer token to the API
server (docs/console.md#in-cluster-mode-helm). The chart's half of that
promise is that the console can never act as itself: its ServiceAccount
mounts no token, no binding names it (or a group it is in), no rule grants
impersonation, and its NetworkPolicy lets it talk to the API server only.
Pure rendering with the real helm binary; test_console_on_cluster.py asks
the API server.
"""

from __future__ import annotations

from typing import Any

import pytest

from appdeploy.cli.main import build_parser
from appdeploy.console.serve import IN_CLUSTER_CA
from tests.helm.chart import HARDENED_CONTAINER, HelmError, kind_of, lint, one, render
from tests.helm.variants import (
    CONSOLE,
    CONSOLE_INGRESS,
    CONSOLE_URL,
    INGRESS_CONTROLLER,
    VARIANTS,
    with_webhook_from,
)

CA_DIRECTORY = "/var/run/secrets/kubernetes.io/serviceaccount"
# Groups every ServiceAccount of the release namespace is in: a binding to
# one of them would reach the console too.
BROAD_GROUPS = ("system:authenticated", "system:serviceaccounts")


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    namespaced = {**CONSOLE, "watchNamespaces": ["team-a"]}
    return {
        "console": render(CONSOLE),
        "ingress": render(CONSOLE_INGRESS),
        "namespaced": render(namespaced),
    }


def _is_console(obj: dict[str, Any]) -> bool:
    """Named or labelled as the console's."""
    name: str = obj["metadata"]["name"]
    component = obj["metadata"].get("labels", {}).get("app.kubernetes.io/component")
    return component == "console" or name.endswith("-console")


def _pod(objects: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = one(objects, "Deployment", "appdeploy-console")
    pod: dict[str, Any] = deployment["spec"]["template"]
    return pod


def _container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = _pod(objects)["spec"]["containers"]
    (container,) = containers
    return container


@pytest.mark.parametrize("variant", ["defaults", "no-webhook"])
def test_by_default_there_is_no_console(variant: str) -> None:
    # no-webhook sets console.url (notification links): that alone runs nothing.
    objects = render(VARIANTS[variant])
    assert [obj["metadata"]["name"] for obj in objects if _is_console(obj)] == []


@pytest.mark.parametrize("values", [CONSOLE, CONSOLE_INGRESS], ids=["console", "ingress"])
def test_helm_lint_passes(values: dict[str, Any]) -> None:
    result = lint(values)
    assert result.returncode == 0, result.stdout + result.stderr


def test_enabled_it_is_a_deployment_behind_a_cluster_ip_service(rendered: dict[str, Any]) -> None:
    objects = rendered["console"]
    names = {(obj["kind"], obj["metadata"]["name"]) for obj in objects if _is_console(obj)}
    assert names == {
        ("ServiceAccount", "appdeploy-console"),
        ("Deployment", "appdeploy-console"),
        ("Service", "appdeploy-console"),
        ("NetworkPolicy", "appdeploy-console"),
    }
    pod = _pod(objects)
    service = one(objects, "Service", "appdeploy-console")["spec"]
    assert service["type"] == "ClusterIP"
    assert service["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    assert service["selector"].items() <= pod["metadata"]["labels"].items()
    assert _container(objects)["ports"] == [
        {"name": "http", "containerPort": 8765, "protocol": "TCP"}
    ]
    operator = one(objects, "Deployment", "appdeploy")["spec"]["template"]["spec"]
    assert _container(objects)["image"] == operator["containers"][0]["image"]


def test_it_runs_the_console_in_client_mode_at_the_public_url(rendered: dict[str, Any]) -> None:
    container = _container(rendered["console"])
    assert container["command"] == ["appdeploy", "console"]
    assert container["args"] == [
        "--auth=client",
        "--address=0.0.0.0:8765",
        f"--public-url={CONSOLE_URL}",
    ]
    extra = render(
        with_webhook_from({"console": {**CONSOLE["console"], "extraArgs": ["--namespace=team-a"]}})
    )
    assert _container(extra)["args"][-1] == "--namespace=team-a"


def test_the_console_accepts_the_charts_flags(rendered: dict[str, Any]) -> None:
    container = _container(rendered["console"])
    args = build_parser().parse_args([*container["command"][1:], *container["args"]])
    assert (args.auth, args.address, args.public_url) == ("client", "0.0.0.0:8765", CONSOLE_URL)
    # The API server's address and CA are the console's defaults: the pod's
    # KUBERNETES_SERVICE_* and the CA where the chart mounts it.
    assert (args.api_server, args.api_ca) == ("", "")
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "api-ca"]
    assert f"{mount['mountPath']}/ca.crt" == IN_CLUSTER_CA
    options = build_parser().parse_args(["console", "--auth=client", "--namespace=team-a"])
    assert options.namespace == "team-a", "extraArgs can open the list on a namespace"


def test_its_service_account_mounts_no_token(rendered: dict[str, Any]) -> None:
    for objects in rendered.values():
        account = one(objects, "ServiceAccount", "appdeploy-console")
        assert account["automountServiceAccountToken"] is False
        pod = _pod(objects)["spec"]
        assert pod["serviceAccountName"] == "appdeploy-console"
        assert pod["automountServiceAccountToken"] is False
        # Nor any other credential: the only volumes are scratch space and the CA.
        assert [volume["name"] for volume in pod["volumes"]] == ["tmp", "api-ca"]
        assert "env" not in pod["containers"][0] and "envFrom" not in pod["containers"][0]


def test_it_trusts_the_api_servers_ca_from_kube_root_ca(rendered: dict[str, Any]) -> None:
    pod = _pod(rendered["console"])["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == "api-ca")
    assert volume["projected"]["sources"] == [
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}
    ]
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "api-ca")
    assert mount == {"name": "api-ca", "mountPath": CA_DIRECTORY, "readOnly": True}


def _subjects(binding: dict[str, Any]) -> list[dict[str, Any]]:
    return binding.get("subjects") or []


def test_no_binding_reaches_the_console(rendered: dict[str, Any]) -> None:
    for variant, objects in rendered.items():
        bindings = kind_of(objects, "RoleBinding") + kind_of(objects, "ClusterRoleBinding")
        assert bindings, "the operator's bindings are rendered"
        for binding in bindings:
            for subject in _subjects(binding):
                assert not (
                    subject["kind"] == "ServiceAccount" and subject["name"] == "appdeploy-console"
                ), (variant, binding["metadata"]["name"])
                if subject["kind"] == "Group":
                    assert not subject["name"].startswith(BROAD_GROUPS), (variant, subject)
                # The operator's account, and no other.
                if subject["kind"] == "ServiceAccount":
                    assert subject["name"] == "appdeploy", (variant, subject)


def test_no_rule_grants_impersonation(rendered: dict[str, Any]) -> None:
    for variant, objects in rendered.items():
        for role in kind_of(objects, "Role") + kind_of(objects, "ClusterRole"):
            for rule in role.get("rules") or []:
                assert "impersonate" not in rule["verbs"], (variant, role["metadata"]["name"])
                assert "*" not in rule["verbs"], (variant, role["metadata"]["name"])


def test_the_console_pod_is_hardened(rendered: dict[str, Any]) -> None:
    pod = _pod(rendered["console"])["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["enableServiceLinks"] is False
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        assert host not in pod
    container = pod["containers"][0]
    assert container["securityContext"] == HARDENED_CONTAINER
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]


def test_its_probes_ask_healthz_on_the_console_port(rendered: dict[str, Any]) -> None:
    container = _container(rendered["console"])
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    (port,) = container["ports"]
    assert f"--address=0.0.0.0:{port['containerPort']}" in container["args"]


def test_the_console_and_the_operator_never_select_each_others_pods(
    rendered: dict[str, Any],
) -> None:
    objects = rendered["console"]
    console = _pod(objects)["metadata"]["labels"]
    operator = one(objects, "Deployment", "appdeploy")["spec"]["template"]["metadata"]["labels"]
    operator_selectors = [
        one(objects, "Deployment", "appdeploy")["spec"]["selector"]["matchLabels"],
        one(objects, "Service", "appdeploy")["spec"]["selector"],
        one(objects, "NetworkPolicy", "appdeploy")["spec"]["podSelector"]["matchLabels"],
    ]
    for selector in operator_selectors:
        assert not selector.items() <= console.items(), selector
    console_selectors = [
        one(objects, "Deployment", "appdeploy-console")["spec"]["selector"]["matchLabels"],
        one(objects, "Service", "appdeploy-console")["spec"]["selector"],
        one(objects, "NetworkPolicy", "appdeploy-console")["spec"]["podSelector"]["matchLabels"],
    ]
    for selector in console_selectors:
        assert selector.items() <= console.items()
        assert not selector.items() <= operator.items(), selector


HTTP_PORT = [{"port": "http", "protocol": "TCP"}]


def test_its_policy_admits_only_the_named_sources(rendered: dict[str, Any]) -> None:
    spec = one(rendered["ingress"], "NetworkPolicy", "appdeploy-console")["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["ingress"] == [{"from": INGRESS_CONTROLLER, "ports": HTTP_PORT}]
    # No sources: nobody on the network (kubectl port-forward is not filtered).
    alone = one(rendered["console"], "NetworkPolicy", "appdeploy-console")["spec"]
    assert alone["ingress"] == []


def test_its_policy_lets_it_reach_the_api_server_only(rendered: dict[str, Any]) -> None:
    for objects in rendered.values():
        console = one(objects, "NetworkPolicy", "appdeploy-console")["spec"]["egress"]
        operator = one(objects, "NetworkPolicy", "appdeploy")["spec"]["egress"]
        assert (
            console
            == operator[:1]
            == [{"ports": [{"port": 443, "protocol": "TCP"}, {"port": 6443, "protocol": "TCP"}]}]
        )
    narrowed = with_webhook_from(
        {**CONSOLE, "networkPolicy": {"apiServer": {"ports": [6443], "cidrs": ["10.0.0.1/32"]}}}
    )
    egress = one(render(narrowed), "NetworkPolicy", "appdeploy-console")["spec"]["egress"]
    assert egress == [
        {"ports": [{"port": 6443, "protocol": "TCP"}], "to": [{"ipBlock": {"cidr": "10.0.0.1/32"}}]}
    ]


def test_without_network_policies_it_has_none() -> None:
    objects = render({**CONSOLE_INGRESS, "networkPolicy": {"enabled": False}})
    assert kind_of(objects, "NetworkPolicy") == []
    assert one(objects, "Ingress", "appdeploy-console")  # nothing to refuse


def test_an_ingress_it_cannot_be_reached_through_is_refused() -> None:
    values = {"console": {**CONSOLE_INGRESS["console"], "networkPolicy": {"from": []}}}
    with pytest.raises(HelmError) as refused:
        render(with_webhook_from(values))
    message = str(refused.value)
    assert "console.networkPolicy.from" in message
    assert "ingress controller's pods" in message


def test_enabled_without_a_url_is_refused() -> None:
    with pytest.raises(HelmError) as refused:
        render(with_webhook_from({"console": {"enabled": True}}))
    assert "console.url: the in-cluster console needs the URL people reach it at" in str(
        refused.value
    )


def test_the_ingress_serves_the_public_urls_host(rendered: dict[str, Any]) -> None:
    ingress = one(rendered["ingress"], "Ingress", "appdeploy-console")
    settings = CONSOLE_INGRESS["console"]["ingress"]
    assert ingress["metadata"]["annotations"] == settings["annotations"]
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == settings["tls"]
    (rule,) = spec["rules"]
    assert rule["host"] == "appdeploy.example.com"
    (path,) = rule["http"]["paths"]
    assert path == {
        "path": "/",
        "pathType": "Prefix",
        "backend": {"service": {"name": "appdeploy-console", "port": {"name": "http"}}},
    }
    assert kind_of(rendered["console"], "Ingress") == [], "only when asked"
    ported = {**CONSOLE_INGRESS["console"], "url": "https://console.example.com:8443"}
    (rule,) = one(render(with_webhook_from({"console": ported})), "Ingress")["spec"]["rules"]
    assert rule["host"] == "console.example.com"


@pytest.mark.parametrize(
    ("console", "complaint"),
    [
        ({"enabled": "yes"}, "console/enabled"),
        ({"replicas": "2"}, "console/replicas"),
        ({"replicas": -1}, "console/replicas"),
        ({"extraArgs": ["verbose"]}, "console/extraArgs/0"),
        ({"service": {"port": 0}}, "console/service/port"),
        ({"ingress": {"enabled": "true"}}, "console/ingress/enabled"),
        ({"ingress": {"hostname": "a.example.com"}}, "hostname"),
        ({"networkPolicy": {"from": [{"cidr": "10.0.0.0/8"}]}}, "console/networkPolicy/from/0"),
        ({"networkPolicy": {"from": {"namespaceSelector": {}}}}, "console/networkPolicy/from"),
    ],
)
def test_the_schema_refuses_bad_console_values(console: dict[str, Any], complaint: str) -> None:
    result = lint(with_webhook_from({"console": console}))  # the schema alone refuses
    assert result.returncode != 0
    assert complaint in result.stdout + result.stderr


def test_a_shared_csrf_secret_is_mounted_and_passed_to_every_replica() -> None:
    shared = {"existingSecret": "appdeploy-console-csrf", "key": "csrf-secret"}
    objects = render(
        with_webhook_from({"console": {**CONSOLE["console"], "replicas": 3, "csrfSecret": shared}})
    )
    container, pod = _container(objects), _pod(objects)
    assert "--csrf-secret-file=/etc/appdeploy-console/csrf/secret" in container["args"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "csrf"]
    assert (mount["mountPath"], mount["readOnly"]) == ("/etc/appdeploy-console/csrf", True)
    (volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == "csrf"]
    assert volume["secret"] == {
        "secretName": "appdeploy-console-csrf",
        "items": [{"key": "csrf-secret", "path": "secret"}],
    }
    args = build_parser().parse_args([*container["command"][1:], *container["args"]])
    assert args.csrf_secret_file == "/etc/appdeploy-console/csrf/secret"
    without = _container(render(CONSOLE))
    assert not [a for a in without["args"] if a.startswith("--csrf-secret-file")]

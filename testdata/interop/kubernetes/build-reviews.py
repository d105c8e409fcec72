#!/usr/bin/env python3
"""Builds reviews/ and expected-images.json from manifests/ and upstream/ (see PROVENANCE.md).

Deterministic: the same inputs give the same bytes (fixed request uids, key order of the
upstream documents kept, 2-space indent, UTF-8, one trailing newline). Needs PyYAML.

    python3 build-reviews.py            # (re)write reviews/ and expected-images.json
    python3 build-reviews.py --check    # exit 1 if a built file differs from what is on disk

After a rewrite, refresh SHA256SUMS (see PROVENANCE.md).
"""
import copy
import json
import sys
import uuid
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

# The userInfo of the example request in kubernetes/website
# content/*/docs/reference/access-authn-authz/extensible-admission-controllers.md.
USER_INFO = {
    "username": "admin",
    "uid": "014fbff9a07c",
    "groups": ["system:authenticated", "my-admin-group"],
    "extra": {"some-key": ["some-value1", "some-value2"]},
}

# kind -> (API group, resource) for the kinds the manifests hold.
RESOURCES = {
    "Pod": "pods",
    "Service": "services",
    "Deployment": "deployments",
    "DaemonSet": "daemonsets",
    "ReplicaSet": "replicasets",
    "StatefulSet": "statefulsets",
    "Job": "jobs",
    "CronJob": "cronjobs",
}

# The ephemeral container `kubectl debug -it ephemeral-demo --image=busybox:1.28
# --target=ephemeral-demo` adds in kubernetes/website
# content/en/docs/tasks/debug/debug-application/debug-running-pod.md (name as printed there,
# target renamed to the container of pods/simple-pod.yaml). Invented for this fixture.
EPHEMERAL_CONTAINER = {
    "name": "debugger-8xzrl",
    "image": "busybox:1.28",
    "targetContainerName": "nginx",
    "stdin": True,
    "tty": True,
}

# The image `kubectl set image deployment/nginx-deployment nginx=nginx:1.16.1 --record` sets in
# kubernetes/website content/en/docs/concepts/workloads/controllers/deployment.md
# ("Updating a Deployment").
UPDATED_IMAGE = "nginx:1.16.1"


def load_manifests(rel):
    """All documents of an upstream manifest, in file order (block or flow YAML)."""
    with open(HERE / "manifests" / rel, encoding="utf-8") as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


def fixed_uid(file_name):
    """A fixed request uid per review file (UUID v5 of its path)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "vouch:testdata/interop/kubernetes/reviews/" + file_name))


def gvk(obj):
    group, _, version = obj["apiVersion"].rpartition("/")
    return group, version, obj["kind"]


def review(file_name, operation, obj, old_obj, sub_resource=None):
    """An AdmissionReview request laid out as in the docs example (same key order)."""
    ref = obj if obj is not None else old_obj
    group, version, kind = gvk(ref)
    kind_ref = {"group": group, "version": version, "kind": kind}
    resource_ref = {"group": group, "version": version, "resource": RESOURCES[kind]}
    request = {"uid": fixed_uid(file_name), "kind": kind_ref, "resource": resource_ref}
    if sub_resource:
        request["subResource"] = sub_resource
    request["requestKind"] = dict(kind_ref)
    request["requestResource"] = dict(resource_ref)
    if sub_resource:
        request["requestSubResource"] = sub_resource
    request["name"] = ref["metadata"]["name"]
    request["namespace"] = ref["metadata"].get("namespace", "default")
    request["operation"] = operation
    request["userInfo"] = copy.deepcopy(USER_INFO)
    request["object"] = obj
    request["oldObject"] = old_obj
    options_kind = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}
    request["options"] = {"apiVersion": "meta.k8s.io/v1", "kind": options_kind[operation]}
    request["dryRun"] = False
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def to_bytes(value):
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def pod_spec_pointer(obj):
    """JSON pointer of the pod spec inside a workload object, as a list of tokens."""
    kind = obj["kind"]
    if kind == "Pod":
        return ["spec"]
    if kind == "CronJob":
        return ["spec", "jobTemplate", "spec", "template", "spec"]
    if kind in ("Deployment", "DaemonSet", "ReplicaSet", "StatefulSet", "Job"):
        return ["spec", "template", "spec"]
    return None


def images(obj):
    """Every container image of a workload object: [{pointer, image}] in document order."""
    if obj is None:
        return []
    tokens = pod_spec_pointer(obj)
    if tokens is None:
        return []
    spec = obj
    for token in tokens:
        spec = spec[token]
    found = []
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for i, container in enumerate(spec.get(field) or []):
            pointer = "/" + "/".join(tokens + [field, str(i), "image"])
            found.append({"pointer": pointer, "image": container["image"]})
    return found


def build():
    out = {}

    def add(file_name, value):
        assert file_name not in out, file_name
        out[file_name] = value

    # One CREATE review per upstream manifest document.
    sources = [
        "pods/simple-pod.yaml",
        "pods/init-containers.yaml",
        "controllers/nginx-deployment.yaml",
        "controllers/daemonset.yaml",
        "controllers/frontend.yaml",
        "controllers/job.yaml",
        "application/job/cronjob.yaml",
        "application/web/web.yaml",
    ]
    for rel in sources:
        for doc in load_manifests(rel):
            name = "{}-{}.json".format(doc["kind"].lower(), doc["metadata"]["name"])
            add(name, review(name, "CREATE", doc, None))

    # UPDATE of the deployment: the container image changed, as `kubectl set image` does.
    (old_deploy,) = load_manifests("controllers/nginx-deployment.yaml")
    new_deploy = copy.deepcopy(old_deploy)
    new_deploy["spec"]["template"]["spec"]["containers"][0]["image"] = UPDATED_IMAGE
    name = "deployment-nginx-deployment-update.json"
    add(name, review(name, "UPDATE", new_deploy, old_deploy))

    # DELETE of the pod: object is null, oldObject is the pod.
    (pod,) = load_manifests("pods/simple-pod.yaml")
    name = "pod-nginx-delete.json"
    add(name, review(name, "DELETE", None, pod))

    # UPDATE of the pods/ephemeralcontainers subresource (what `kubectl debug` sends).
    with_debugger = copy.deepcopy(pod)
    with_debugger["spec"]["ephemeralContainers"] = [dict(EPHEMERAL_CONTAINER)]
    name = "pod-nginx-ephemeralcontainers.json"
    add(name, review(name, "UPDATE", with_debugger, pod, sub_resource="ephemeralcontainers"))

    # The docs' own example request (a Scale of the deployments/scale subresource), as is.
    with open(HERE / "upstream/website/admission-review-request.zh-cn.yaml", encoding="utf-8") as f:
        add("docs-example-scale.json", yaml.safe_load(f))

    files = {"reviews/" + k: to_bytes(v) for k, v in out.items()}

    expected = {}
    for file_name, value in sorted(out.items()):
        request = value["request"]
        obj, old = request.get("object"), request.get("oldObject")
        is_workload = any(
            o is not None and pod_spec_pointer(o) is not None for o in (obj, old)
        )
        expected["reviews/" + file_name] = {
            "kind": request["kind"],
            "operation": request["operation"],
            "subResource": request.get("subResource"),
            "hasPodSpec": is_workload,
            "object": images(obj) if is_workload else [],
            "oldObject": images(old) if is_workload else [],
        }
    files["expected-images.json"] = to_bytes(expected)
    return files


def main():
    check = sys.argv[1:] == ["--check"]
    files = build()
    bad = False
    for rel, data in files.items():
        path = HERE / rel
        if check:
            if not path.exists() or path.read_bytes() != data:
                print("differs: " + rel)
                bad = True
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    if check:
        stale = sorted(
            str(p.relative_to(HERE)) for p in (HERE / "reviews").glob("*.json")
        )
        for rel in stale:
            if rel not in files:
                print("not built: " + rel)
                bad = True
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

"""`kustomize build` for deploy/k8s: kubectl's built-in kustomize when the machine has kubectl,
else a small loader for the features our kustomizations use (resources, namespace, images,
labels, JSON 6902 patches). The contract test checks the two agree wherever kubectl exists."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import yaml

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}


def build(directory: Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl:
        return build_with_kubectl(kubectl, directory)
    return build_in_python(directory)


def build_with_kubectl(kubectl: str, directory: Path) -> list[dict]:
    out = subprocess.run(
        [kubectl, "kustomize", str(directory)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def build_in_python(directory: Path) -> list[dict]:
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    docs: list[dict] = []
    for entry in spec.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            docs.extend(build_in_python(path))
        else:
            docs.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    docs = [copy.deepcopy(d) for d in docs]
    for label in spec.get("labels", []):
        assert not label.get("includeSelectors") and not label.get("includeTemplates"), "not supported"
        for doc in docs:
            doc.setdefault("metadata", {}).setdefault("labels", {}).update(label["pairs"])
    if "namespace" in spec:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = spec["namespace"]
    for image in spec.get("images", []):
        for doc in docs:
            for container in _containers(doc):
                if container["image"].split(":")[0] == image["name"]:
                    container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    for patch in spec.get("patches", []):
        target = patch["target"]
        ops = yaml.safe_load(patch["patch"])
        hits = [d for d in docs if d["kind"] == target["kind"] and d["metadata"]["name"] == target["name"]]
        assert hits, f"patch target {target} matches nothing"
        for doc in hits:
            for op in ops:
                _apply(doc, op)
    return docs


def _containers(doc: dict) -> list[dict]:
    spec = doc.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    return pod.get("containers", []) + pod.get("initContainers", [])


def _apply(doc: dict, op: dict) -> None:
    assert op["op"] in ("replace", "add"), f"JSON patch op {op['op']} not supported here"
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].strip("/").split("/")]
    node = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op["op"] == "add":
            node.insert(index, op["value"])
        else:
            node[index] = op["value"]
    else:
        assert op["op"] == "add" or last in node, f"replace of a missing {op['path']}"
        node[last] = op["value"]

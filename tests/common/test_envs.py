"""envs/*.yaml (for --sdm conda) parse and carry the same pins as pyproject.toml."""

import re
import tomllib

import yaml

from conftest import ROOT


def _pins(reqs):
    out = {}
    for r in reqs:
        m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]+\])?==(\S+)$", r.strip())
        if m:
            out[m.group(1).lower()] = m.group(3)
    return out


def test_conda_envs_agree_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    want = _pins(project["dependencies"])
    assert len(want) == len(project["dependencies"]), "every dependency is pinned with =="
    envs = sorted((ROOT / "envs").glob("*.yaml"))
    assert envs
    for path in envs:
        env = yaml.safe_load(path.read_text())
        assert env["name"] and env["channels"]
        deps = env["dependencies"]
        assert any(str(d).startswith("python=3.11") for d in deps)
        pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
        assert _pins(pip) == want, f"{path.name} pins differ from pyproject.toml"

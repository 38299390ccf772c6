# lit configuration for accc's tool tests.
import os
import lit.formats

config.name = "accc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".test", ".g", ".s", ".ir"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.accc_obj_root, "tests", "lit")

# Built tools first, then FileCheck, not and count from LLVM.
path = os.pathsep.join([config.accc_tools_dir, config.llvm_tools_dir,
                        config.environment.get("PATH", os.environ.get("PATH", ""))])
config.environment["PATH"] = path
# Diagnostics must not depend on the terminal the tests run from.
config.environment["NO_COLOR"] = "1"
for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "HOME", "TMPDIR"):
    if var in os.environ:
        config.environment[var] = os.environ[var]

config.substitutions.append(("%python", config.python))
config.substitutions.append(("%readelf", config.readelf))
config.substitutions.append(("%S_root", config.accc_source_dir))
if config.accc_sanitized:
    config.available_features.add("asan")

# util-linux's script(1) runs a command on a pseudo-terminal (tests of what
# a tool does on a terminal); "pty" when it works here.
import shutil
import subprocess
if shutil.which("script"):
    try:
        if subprocess.run(["script", "-qec", "true", "/dev/null"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=10).returncode == 0:
            config.available_features.add("pty")
    except (OSError, subprocess.TimeoutExpired):
        pass

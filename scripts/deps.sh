#!/bin/sh
# Install the Debian packages accc needs to build and test, if any are missing.
#
#   scripts/deps.sh          check; as root, install what is missing with apt-get
#   scripts/deps.sh --check  only report, never install (exit 1 if something is missing)
#
# Run as an ordinary user it prints the exact apt-get command instead.
# Every package here is from Debian 12 (bookworm); nothing is fetched elsewhere.
set -eu

# package            why
PACKAGES="
cmake                build system generator (>= 3.25)
ninja-build          build tool driven by cmake
make                 the top-level Makefile
gcc                  C11 compiler, AddressSanitizer/UBSan runtimes
pkg-config           finds cmocka
flex                 DSL lexer generator
bison                DSL parser generator
llvm-dev             LLVM C API and llvm-config
llvm-14-tools        FileCheck and lit for the compiler tests
clang                builds the libFuzzer targets
libclang-rt-14-dev   libFuzzer runtime
libcmocka-dev        unit-test framework
binutils             readelf, used to check the ELF files we write
python3              runs lit and the test generators
python3-numpy        .npy fixtures and conformance checks
python3-onnx         ONNX node test suite for conformance
groff-base           checks that the man pages (docs/man/) format without warnings
"

check_only=0
[ "${1:-}" = "--check" ] && check_only=1

missing=""
for pkg in $(printf '%s\n' "$PACKAGES" | awk 'NF { print $1 }'); do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $pkg" ;;
    esac
done

if [ -z "$missing" ]; then
    exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$check_only" -eq 1 ]; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: install them with: sudo $cmd" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run this as root, then try again:" >&2
    echo "    sudo apt-get update && sudo $cmd" >&2
    exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have empty package lists; refresh them only if an
# install fails for that reason, so a warm machine stays offline-fast.
if ! apt-get install -y --no-install-recommends $missing; then
    apt-get update
    apt-get install -y --no-install-recommends $missing
fi

#!/usr/bin/python3
"""Generate ONNX's backend test data from Debian's python3-onnx.

    gen_node_tests.py OUTDIR [--op-type OP]

ONNX ships the generators of its backend test suite in onnx.backend.test.
They write, for every case,

    OUTDIR/node/<test>/model.onnx                    (922 node tests in ONNX 1.12)
    OUTDIR/node/<test>/test_data_set_N/input_K.pb    inputs and expected outputs,
    OUTDIR/node/<test>/test_data_set_N/output_K.pb   TensorProto (or SequenceProto,
                                                     OptionalProto, MapProto)
    OUTDIR/simple/<test>/...                         small model tests, same layout
    OUTDIR/real/<test>/data.json                     links to large models (unused)

ONNX 1.12's generators use NumPy aliases that NumPy 1.24 removed (np.float,
np.int, np.bool, np.object, np.complex, np.str); they are restored first.
"""
import argparse
import os
import sys
import time
import warnings


def restore_numpy_aliases():
    import numpy as np
    builtins = {"float": float, "int": int, "bool": bool, "object": object,
                "complex": complex, "str": str}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # np.str warns before it raises
        for name, value in builtins.items():
            try:
                getattr(np, name)
            except AttributeError:
                setattr(np, name, value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("--op-type", default=None,
                        help="only the cases that use this op (default: all)")
    args = parser.parse_args()
    restore_numpy_aliases()
    import onnx
    from onnx.backend.test import cmd_tools

    start = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generators' own deprecation noise
        cmd_tools.generate_data(argparse.Namespace(output=args.outdir, op_type=args.op_type))
    counts = {kind: len(os.listdir(os.path.join(args.outdir, kind)))
              for kind in ("node", "simple", "real")
              if os.path.isdir(os.path.join(args.outdir, kind))}
    print(f"ONNX {onnx.__version__}: generated "
          + ", ".join(f"{n} {kind}" for kind, n in counts.items())
          + f" test cases into {args.outdir} in {time.time() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

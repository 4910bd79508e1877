"""Join several trained digit models into one ONNX file that averages their probabilities.

    .venv-train/bin/python training/ensemble.py var/training/a.onnx var/training/b.onnx \
        --output src/rekap/reading/models/digits.onnx

Each member keeps its own calibration: its logits are divided by its own temperature (from
its metadata) and turned into probabilities; the file's output is the log of the members'
mean probability, so the product's runtime (`rekap.reading.digits`, temperature 1 in the
joined file's metadata) reads exactly that mean. Models trained on different data or seeds
make different mistakes, and mostly not confidently at once: averaging keeps what each
reads surely and turns a disagreement into doubt, which the decision then abstains on.
One ONNX Runtime call runs every member.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import onnx
from onnx import TensorProto, helper

INPUT = "crops"
OUTPUT = "logits"


def _member(path: Path, prefix: str) -> tuple[onnx.GraphProto, float, dict[str, str]]:
    model = onnx.load(str(path))
    metadata = {p.key: p.value for p in model.metadata_props}
    graph = model.graph

    def renamed(name: str) -> str:
        return name if name in ("", INPUT) else prefix + name

    for node in graph.node:
        node.name = prefix + node.name
        node.input[:] = [renamed(n) for n in node.input]
        node.output[:] = [renamed(n) for n in node.output]
    for initializer in graph.initializer:
        initializer.name = renamed(initializer.name)
    for output in graph.output:
        output.name = renamed(output.name)
    return graph, float(metadata.get("temperature", "1.0")), metadata


def join(paths: list[Path]) -> onnx.ModelProto:
    nodes: list[onnx.NodeProto] = []
    initializers: list[onnx.TensorProto] = []
    probabilities: list[str] = []
    first: dict[str, str] = {}
    temperatures: list[str] = []
    seeds: list[str] = []
    base = onnx.load(str(paths[0]))
    for index, path in enumerate(paths):
        graph, temperature, metadata = _member(path, f"m{index}_")
        for key in ("labels", "preprocessing", "input_size"):
            if first.setdefault(key, metadata.get(key, "")) != metadata.get(key, ""):
                raise ValueError(f"{path}: its {key} differ from the first model's")
        temperatures.append(f"{temperature:.4f}")
        seeds.append(metadata.get("training_seed", "?"))
        nodes.extend(graph.node)
        initializers.extend(graph.initializer)
        scale = f"m{index}_inverse_temperature"
        initializers.append(helper.make_tensor(scale, TensorProto.FLOAT, [], [1.0 / temperature]))
        scaled, softmax = f"m{index}_scaled", f"m{index}_probabilities"
        nodes.append(helper.make_node("Mul", [graph.output[0].name, scale], [scaled]))
        nodes.append(helper.make_node("Softmax", [scaled], [softmax], axis=1))
        probabilities.append(softmax)
    initializers.append(helper.make_tensor("share", TensorProto.FLOAT, [], [1.0 / len(paths)]))
    nodes.append(helper.make_node("Sum", probabilities, ["total"]))
    nodes.append(helper.make_node("Mul", ["total", "share"], ["mean"]))
    nodes.append(helper.make_node("Log", ["mean"], [OUTPUT]))
    graph = helper.make_graph(
        nodes,
        "digit_box_ensemble",
        [base.graph.input[0]],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", 12])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=base.opset_import)
    model.ir_version = base.ir_version
    onnx.checker.check_model(model)
    helper.set_model_props(
        model,
        {
            **first,
            "temperature": "1.0",
            "members": ",".join(p.name for p in paths),
            # each member's calibration is inside the graph; these say what it is
            "member_temperatures": ",".join(temperatures),
            "member_training_seeds": ",".join(seeds),
            "trained_by": "training/train_digits.py, joined by training/ensemble.py",
        },
    )
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(join(args.models), str(args.output))
    print(f"{len(args.models)} models joined into {args.output}")


if __name__ == "__main__":
    main()

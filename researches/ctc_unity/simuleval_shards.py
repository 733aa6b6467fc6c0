"""Sharded SimulEval: one test list, N processes, one merged run scored by SimulEval's own scorers.

SimulEval walks a test set one utterance at a time in one process. This module splits the list
into N contiguous shards (SimulEval's own ``--start-index`` / ``--end-index``, so every instance
keeps its original index and its wav its original name ``wavs/<index>_pred.wav``), runs them as N
processes (locally in parallel, or as a Slurm array through ``submitit`` when it is installed),
merges the shards into one output folder that looks like an unsharded run's, and scores it::

    # everything: N local processes, merge, score (what ``SHARDS=N bash simuleval.sh`` runs)
    python -m ctc_unity.simuleval_shards eval --shards 4 --output OUT/s2tt_word_320 -- <simuleval arguments>
    # the pieces, e.g. one shard per Slurm array task, then merge + score once all are done
    python -m ctc_unity.simuleval_shards run --shard 2/4 --output OUT/s2tt_word_320 -- <simuleval arguments>
    python -m ctc_unity.simuleval_shards merge --shards 4 --output OUT/s2tt_word_320 -- <simuleval arguments>

``<simuleval arguments>`` are those of an unsharded ``simuleval`` call without ``--output``
(``--agent``, ``--source``, ``--target``, the agent's options, ``--quality-metrics``,
``--latency-metrics``, scorer options such as ``--user-dir researches/ctc_unity/asr_bleu
--asr-backend ...``). Shard ``i`` (0-based) writes ``OUT.shards/shard_<i>of<N>/`` (and its log
``shard_<i>of<N>.log``); the merge writes into ``OUT``:

* ``instances.log``: the shards' lines in the original order, each ``index`` checked against the
  shard's range (or shifted into it if a shard was run on a split list starting at 0), and each
  speech ``prediction`` path pointing at ``OUT/wavs/<index>_pred.wav``;
* ``wavs/``: the speech of every shard (moved), ``echostream_texts.jsonl``: the agent's texts
  with their ``index`` made global, ``config.yaml``;
* ``scores.tsv`` and ``metrics.tsv``: SimulEval's ``--score-only`` evaluator on the merged folder
  (quality and latency scorers of the arguments), and ``scores_ca.tsv``: computation-aware latency
  (``scripts/rescore_simuleval.py``'s scorers). ``shards.json`` records the ranges and wall times.

Quality and ideal-delay latency of the merged run equal the unsharded run's (same instances, same
predictions and delays); computation-aware latency does not, since the shards share the machine.
The shard folders are removed after a successful merge unless ``--keep-shards``.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: simuleval options that the sharding sets itself.
OWN_OPTIONS = ("--output", "--start-index", "--end-index", "--no-scoring", "--score-only")


def shard_ranges(n: int, shards: int) -> List[Tuple[int, int]]:
    """``shards`` contiguous ``[start, end)`` ranges covering ``range(n)``, sizes differing by at most 1.

    >>> shard_ranges(5, 2)
    [(0, 3), (3, 5)]
    """
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    base, extra = divmod(n, shards)
    out, start = [], 0
    for i in range(shards):
        end = start + base + (1 if i < extra else 0)
        out.append((start, end))
        start = end
    return out


def parse_shard(spec: str) -> Tuple[int, int]:
    """``"i/N"`` (0-based ``i``) -> ``(i, N)``."""
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard wants i/N (0-based i), got {spec!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise argparse.ArgumentTypeError(f"--shard {spec}: need 0 <= i < N")
    return i, n


def option_value(args: Sequence[str], name: str) -> Optional[str]:
    """The value of ``name`` in an argument list (``--x v`` or ``--x=v``; the last one wins)."""
    value = None
    for k, a in enumerate(args):
        if a == name and k + 1 < len(args):
            value = args[k + 1]
        elif a.startswith(name + "="):
            value = a.split("=", 1)[1]
    return value


def check_simuleval_args(args: Sequence[str]) -> None:
    for a in args:
        if a.split("=", 1)[0] in OWN_OPTIONS:
            raise SystemExit(f"[shards] {a} is set by the sharding; leave it out of the simuleval arguments")
    if option_value(args, "--source") is None:
        raise SystemExit("[shards] the simuleval arguments need --source (the list to split)")


def count_instances(args: Sequence[str]) -> int:
    with open(option_value(args, "--source"), encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def shard_dir(output: str, i: int, n: int) -> str:
    return os.path.join(output.rstrip("/") + ".shards", f"shard_{i}of{n}")


def simuleval_command() -> List[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "simuleval")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "simuleval.cli"]


def shard_command(args: Sequence[str], output: str, i: int, n: int) -> Optional[List[str]]:
    """The ``simuleval`` command of shard ``i`` of ``n`` (``None`` for an empty shard)."""
    start, end = shard_ranges(count_instances(args), n)[i]
    if start == end:
        return None
    return simuleval_command() + list(args) + ["--output", shard_dir(output, i, n), "--start-index", str(start),
                                               "--end-index", str(end), "--no-scoring", "--no-progress-bar"]


def run_shard(args: Sequence[str], output: str, i: int, n: int) -> int:
    """Run shard ``i`` of ``n`` in this process' foreground (log: ``<shard dir>.log``); its exit status."""
    cmd = shard_command(args, output, i, n)
    if cmd is None:
        return 0
    folder = shard_dir(output, i, n)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    with open(folder + ".log", "w") as log:
        return subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)


def _tail(path: str, n: int = 20) -> str:
    try:
        with open(path, errors="replace") as fh:
            return "".join(fh.readlines()[-n:])
    except OSError:
        return ""


def run_local(args: Sequence[str], output: str, n: int, threads: Optional[int] = None) -> Dict[int, float]:
    """All ``n`` shards as parallel local processes; ``{shard: wall seconds}``. Exits on a failed shard."""
    env = dict(os.environ)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    procs, t0, walls = {}, time.time(), {}
    for i in range(n):
        cmd = shard_command(args, output, i, n)
        if cmd is None:
            continue
        folder = shard_dir(output, i, n)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(os.path.dirname(folder), exist_ok=True)
        log = open(folder + ".log", "w")
        procs[i] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env), log)
    failed = []
    for i, (proc, log) in procs.items():
        rc = proc.wait()
        log.close()
        walls[i] = round(time.time() - t0, 1)
        if rc != 0:
            failed.append(i)
    for i in failed:
        print(f"[shards] shard {i}/{n} failed; {shard_dir(output, i, n)}.log:\n"
              f"{_tail(shard_dir(output, i, n) + '.log')}", file=sys.stderr)
    if failed:
        raise SystemExit(1)
    return walls


def run_submitit(args: Sequence[str], output: str, n: int, slurm_args: Dict) -> Dict[int, float]:
    """All shards as one Slurm job array through ``submitit`` (optional dependency); waits for them."""
    try:
        import submitit
    except ImportError:
        raise SystemExit("[shards] --launcher submitit needs `pip install submitit`") from None
    executor = submitit.AutoExecutor(folder=output.rstrip("/") + ".shards/submitit")
    executor.update_parameters(**slurm_args)
    idx = [i for i in range(n) if shard_command(args, output, i, n) is not None]
    t0 = time.time()
    jobs = executor.map_array(run_shard, [list(args)] * len(idx), [output] * len(idx), idx, [n] * len(idx))
    walls, failed = {}, []
    for i, job in zip(idx, jobs):
        if job.result() != 0:
            failed.append(i)
        walls[i] = round(time.time() - t0, 1)
    if failed:
        raise SystemExit(f"[shards] shards {failed} failed (logs in {output}.shards/)")
    return walls


# --------------------------------------------------------------------------- merge


def _read_jsonl(path: str) -> List[Dict]:
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def merge(output: str, n: int, n_instances: int) -> Dict:
    """Merge the shard folders of ``output`` into ``output`` (see the module docstring); a summary dict."""
    ranges = shard_ranges(n_instances, n)
    if os.path.exists(output):
        shutil.rmtree(output)
    os.makedirs(os.path.join(output, "wavs"))
    wav_dir = os.path.abspath(os.path.join(output, "wavs"))
    lines, texts, n_wavs = [], [], 0
    for i, (start, end) in enumerate(ranges):
        if start == end:
            continue
        folder = shard_dir(output, i, n)
        records = _read_jsonl(os.path.join(folder, "instances.log"))
        if len(records) != end - start:
            raise SystemExit(f"[shards] {folder}/instances.log has {len(records)} instances, expected {end - start} "
                             f"(indices {start}..{end - 1}); see {folder}.log")
        # instances keep their original index with --start-index; a shard run on a split list counts from 0
        offset = start if records[0]["index"] == 0 and start > 0 else 0
        for k, rec in enumerate(records):
            rec["index"] += offset
            if rec["index"] != start + k:
                raise SystemExit(f"[shards] {folder}/instances.log line {k + 1}: index {rec['index']}, "
                                 f"expected {start + k}")
            pred = rec.get("prediction")
            if isinstance(pred, str) and pred.endswith(".wav"):
                name = f"{rec['index']}_pred.wav"
                src = pred if os.path.isabs(pred) else os.path.join(folder, "wavs", os.path.basename(pred))
                if os.path.isfile(src):
                    shutil.move(src, os.path.join(wav_dir, name))
                    n_wavs += 1
                rec["prediction"] = os.path.join(wav_dir, name)
            lines.append(rec)
        shard_texts = _read_jsonl(os.path.join(folder, "echostream_texts.jsonl"))
        for rec in shard_texts:  # the agent counts the instances it has seen, from 0 in each process
            rec["index"] += start
        texts += shard_texts
        if i == 0 and os.path.isfile(os.path.join(folder, "config.yaml")):
            shutil.copy(os.path.join(folder, "config.yaml"), os.path.join(output, "config.yaml"))
    with open(os.path.join(output, "instances.log"), "w", encoding="utf-8") as fh:
        for rec in lines:
            fh.write(json.dumps(rec) + "\n")
    if texts:
        with open(os.path.join(output, "echostream_texts.jsonl"), "w", encoding="utf-8") as fh:
            for rec in texts:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if not n_wavs:
        os.rmdir(wav_dir)
    return {"instances": len(lines), "wavs": n_wavs, "texts": len(texts), "ranges": ranges}


def score(output: str, args: Sequence[str]) -> None:
    """SimulEval's ``--score-only`` evaluator on ``output`` (a subprocess: SimulEval's parsers read
    ``sys.argv``), writing ``scores.tsv`` / ``metrics.tsv``, then computation-aware latency
    (``scores_ca.tsv``)."""
    keep = _scoring_args(args)
    res = subprocess.run([sys.executable, "-m", "ctc_unity.simuleval_shards", "_score", "--output", output, *keep],
                         cwd=ROOT)
    if res.returncode != 0:
        raise SystemExit(f"[shards] scoring {output} failed")
    latency = _option_list(args, "--latency-metrics")
    if latency:
        cmd = [sys.executable, os.path.join(ROOT, "scripts", "rescore_simuleval.py"), "--output", output,
               "--latency-metrics", *latency]
        unit = option_value(args, "--eval-latency-unit")
        if unit:
            cmd += ["--eval-latency-unit", unit]
        if subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL).returncode != 0:
            raise SystemExit(f"[shards] computation-aware rescoring of {output} failed")


def _option_list(args: Sequence[str], name: str) -> List[str]:
    out, k = [], 0
    while k < len(args):
        if args[k] == name:
            out, k = [], k + 1
            while k < len(args) and not args[k].startswith("--"):
                out.append(args[k])
                k += 1
        else:
            k += 1
    return out


def _scoring_args(args: Sequence[str]) -> List[str]:
    """The arguments SimulEval's scoring parser knows, with their values (the agent's options dropped)."""
    parser = _scoring_parser(args)
    known = {s for a in parser._actions for s in a.option_strings} - set(OWN_OPTIONS) - {"--agent", "--agent-class"}
    keep, keeping = [], False
    for a in args:
        if a.startswith("--"):
            keeping = a.split("=", 1)[0] in known
        if keeping:
            keep.append(a)
    return keep


def _scoring_parser(args: Sequence[str]):
    from simuleval import options

    argv, sys.argv = sys.argv, ["simuleval", "--score-only", *args]
    try:
        _register_own_scorers()
        parser = options.general_parser()
        options.add_evaluator_args(parser)
        options.add_scorer_args(parser, list(sys.argv[1:]))
        options.add_dataloader_args(parser, list(sys.argv[1:]))
    finally:
        sys.argv = argv
    return parser


def _register_own_scorers() -> None:
    from .asr_bleu import simuleval_scorer  # noqa: F401  (ASR_BLEU_OFFLINE, ASR_BLEU_OFFLINE_CEILING)


def _score_main(argv: Sequence[str]) -> None:
    """``_score --output DIR <scoring args>``: SimulEval's ``scoring()`` that also writes its tables."""
    from simuleval import options
    from simuleval.evaluator import SentenceLevelEvaluator

    sys.argv = ["simuleval", "--score-only", *argv]
    _register_own_scorers()
    parser = options.general_parser()
    options.add_evaluator_args(parser)
    options.add_scorer_args(parser)
    options.add_dataloader_args(parser)
    args, _ = parser.parse_known_args()
    evaluator = SentenceLevelEvaluator.from_args(args)
    evaluator.dump_results()
    evaluator.dump_metrics()


# --------------------------------------------------------------------------- command line


def main(argv: Optional[Sequence[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_score"]:
        return _score_main(argv[1:])
    if "--" in argv:
        k = argv.index("--")
        own, simuleval_args = argv[:k], argv[k + 1:]
    else:
        own, simuleval_args = argv, []
    p = argparse.ArgumentParser(prog="python -m ctc_unity.simuleval_shards", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("eval", "run", "merge"):
        s = sub.add_parser(name)
        s.add_argument("--output", required=True, help="the (merged) SimulEval output folder")
        if name == "run":
            s.add_argument("--shard", type=parse_shard, required=True, help="i/N, 0-based i")
        else:
            s.add_argument("--shards", type=int, required=True, help="number of shards N")
            s.add_argument("--keep-shards", action="store_true", help="keep OUTPUT.shards/ after the merge")
        if name == "eval":
            s.add_argument("--launcher", choices=("local", "submitit"), default="local")
            s.add_argument("--threads", type=int, default=None,
                           help="OMP/MKL threads per local shard (default: inherited)")
            s.add_argument("--slurm", default="{}",
                           help='submitit parameters as JSON, e.g. \'{"slurm_partition": "gpu", "gpus_per_node": 1, '
                                '"timeout_min": 240}\'')
    a = p.parse_args(own)
    check_simuleval_args(simuleval_args)
    n_instances = count_instances(simuleval_args)
    if a.cmd == "run":
        i, n = a.shard
        rc = run_shard(simuleval_args, a.output, i, n)
        if rc != 0:
            print(_tail(shard_dir(a.output, i, n) + ".log"), file=sys.stderr)
        raise SystemExit(rc)
    walls = {}
    t0 = time.time()
    if a.cmd == "eval":
        if a.launcher == "local":
            walls = run_local(simuleval_args, a.output, a.shards, a.threads)
        else:
            walls = run_submitit(simuleval_args, a.output, a.shards, json.loads(a.slurm))
    t_run = time.time() - t0
    info = merge(a.output, a.shards, n_instances)
    score(a.output, simuleval_args)
    info.update(shards=a.shards, shard_wall_s=walls, run_wall_s=round(t_run, 1),
                merge_score_wall_s=round(time.time() - t0 - t_run, 1))
    with open(os.path.join(a.output, "shards.json"), "w") as fh:
        json.dump(info, fh, indent=1)
    for i in range(a.shards):
        log = shard_dir(a.output, i, a.shards) + ".log"
        if os.path.isfile(log):
            shutil.copy(log, os.path.join(a.output, f"shard_{i}of{a.shards}.log"))
    if not a.keep_shards:
        shutil.rmtree(a.output.rstrip("/") + ".shards", ignore_errors=True)
    print(f"[shards] {info['instances']} instances from {a.shards} shards merged into {a.output} "
          f"(run {info['run_wall_s']} s, merge + scoring {info['merge_score_wall_s']} s)")


if __name__ == "__main__":
    main()

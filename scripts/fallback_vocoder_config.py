#!/usr/bin/env python
"""Write the zero-training Griffin-Lim vocoder config of a prepared data folder; print its path.

    .venv/bin/python scripts/fallback_vocoder_config.py --data data/embedded/s2st --out runs/x/fallback_vocoder.json
    .venv/bin/python scripts/fallback_vocoder_config.py --data D --out F --prefer-trained runs/vocoder_cpu
(the second form prints the trained CodeHiFiGAN's config.json when that run has a checkpoint_best.pt,
and writes/prints the fallback otherwise; which one was picked goes to stderr).
(The k-means units of the data must be the offline log-mel kind; HuBERT units need a CodeHiFiGAN.)
"""
import argparse
import os
import sys



def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="prepared data folder (with units/)")
    p.add_argument("--out", required=True, help="JSON config to write")
    p.add_argument("--n-iter", type=int, default=32, help="Griffin-Lim iterations")
    p.add_argument("--durations-from", default=None,
                   help="trained CodeHiFiGAN (run dir / config.json) whose duration predictor replaces the mean durations")
    p.add_argument("--prefer-trained", metavar="RUN",
                   help="a train_vocoder.sh run: use its CodeHiFiGAN instead when it has been trained")
    a = p.parse_args(argv)
    try:
        _write(a)
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f"fallback_vocoder_config: error: {e}")


def _write(a) -> None:
    from ctc_unity.streaming.loading import find_vocoder
    from ctc_unity.vocoder.griffin_lim import make_griffin_lim_config

    if a.prefer_trained:
        found, which = find_vocoder(a.data, trained_runs=[a.prefer_trained])
        print(f"vocoder: {which}", file=sys.stderr)
        if isinstance(found, str):
            print(os.path.join(found, "config.json") if os.path.isdir(found) else found)
            return
    make_griffin_lim_config(os.path.join(a.data, "units"), n_iter=a.n_iter, out_path=a.out,
                            durations_from=a.durations_from)
    print(a.out)

if __name__ == "__main__":
    main()

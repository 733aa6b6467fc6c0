#!/usr/bin/env python
"""Write the zero-training Griffin-Lim vocoder config of a prepared data folder; print its path.

    .venv/bin/python scripts/fallback_vocoder_config.py --data data/embedded/s2st --out runs/x/fallback_vocoder.json
(The k-means units of the data must be the offline log-mel kind; HuBERT units need a CodeHiFiGAN.)
"""
import argparse
import os



def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="prepared data folder (with units/)")
    p.add_argument("--out", required=True, help="JSON config to write")
    p.add_argument("--n-iter", type=int, default=32, help="Griffin-Lim iterations")
    p.add_argument("--durations-from", default=None,
                   help="trained CodeHiFiGAN (run dir / config.json) whose duration predictor replaces the mean durations")
    a = p.parse_args(argv)
    from ctc_unity.vocoder.griffin_lim import make_griffin_lim_config

    make_griffin_lim_config(os.path.join(a.data, "units"), n_iter=a.n_iter, out_path=a.out,
                            durations_from=a.durations_from)
    print(a.out)


if __name__ == "__main__":
    main()

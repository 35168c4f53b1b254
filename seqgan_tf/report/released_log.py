"""The NLL-oracle curve of the authors' released code, typed in from its log, for every report that sets a run beside
it. Pure data."""

# The released code's log (save/experiment-log.txt in LantaoYu/SeqGAN), typed in. It logs "epoch e" after training
# epoch e, i.e. after e + 1 MLE epochs (pretraining) or e + 1 generator steps (adversarial: the test follows the
# round's g-step and precedes its D training), and this project's round r after r generator steps: released
# "epoch r" is one g-step ahead of our round r.
RELEASED_SOURCE = "save/experiment-log.txt in LantaoYu/SeqGAN (the authors' released code)"
RELEASED_PRETRAIN = {0: 10.1716, 5: 9.42939, 10: 9.2388, 15: 9.11899, 20: 9.13099, 25: 9.14474, 30: 9.12539,
                     35: 9.13982, 40: 9.135, 45: 9.13081, 50: 9.10678, 55: 9.10694, 60: 9.10349, 65: 9.10403,
                     70: 9.07613, 75: 9.091, 80: 9.08909, 85: 9.0807, 90: 9.08434, 95: 9.08936, 100: 9.07443,
                     105: 9.08305, 110: 9.06973, 115: 9.07058}
RELEASED_ADVERSARIAL = {0: 9.08457, 5: 9.04511, 10: 9.03079, 15: 8.99239, 20: 8.96401, 25: 8.93864, 30: 8.91642,
                        35: 8.87761, 40: 8.88582, 45: 8.8592, 50: 8.83388, 55: 8.81342, 60: 8.80247, 65: 8.77778,
                        70: 8.7567, 75: 8.73002, 80: 8.72488, 85: 8.72233, 90: 8.71473, 95: 8.71163, 100: 8.70113,
                        105: 8.69879, 110: 8.69208, 115: 8.69291, 120: 8.68371, 125: 8.689, 130: 8.68989,
                        135: 8.68269, 140: 8.68647, 145: 8.68066, 150: 8.6832}

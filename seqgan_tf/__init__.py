"""seqgan_tf: SeqGAN (Yu et al., AAAI 2017) in TensorFlow 2 / Keras 3.

Importing it changes nothing in the process; entry points call `seqgan_tf.runtime.configure()` first (see there).
"""

__version__ = "0.1.0"

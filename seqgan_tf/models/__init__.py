from .cnn import CNNGenerator
from .discriminator import Discriminator
from .generator import Generator
from .oracle import Oracle, OracleFormatError

__all__ = ["CNNGenerator", "Discriminator", "Generator", "Oracle", "OracleFormatError", "make_generator"]


def make_generator(cfg, seed=None):
    """The generator cfg.generator names ("lstm": the paper's G; "cnn": the convolutional one), built."""
    return (CNNGenerator if cfg.generator == "cnn" else Generator).from_config_obj(cfg, seed=seed)

from .discriminator import Discriminator
from .generator import Generator
from .oracle import Oracle, OracleFormatError

__all__ = ["Discriminator", "Generator", "Oracle", "OracleFormatError"]

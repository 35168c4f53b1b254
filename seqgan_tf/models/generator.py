"""Generator G: the LSTM policy G_θ(y_t | Y_1:t-1) of the paper (§2), emb 32, hidden 32, N(0, 0.1²) init."""
import tensorflow as tf

from .lstm import LSTMLanguageModel


class Generator(LSTMLanguageModel):
    """LSTM policy. `token_log_probs` serves MLE and policy gradient; `complete`/`sample` are graphs."""

    def __init__(self, vocab_size, emb_dim=32, hidden_dim=32, seq_len=20, start_token=0, init_std=0.1,
                 seed=None, end_token=None, **kwargs):
        super().__init__(vocab_size, emb_dim, hidden_dim, seq_len, start_token, init_std, seed, end_token, **kwargs)
        self.complete = tf.function(self.complete, reduce_retracing=True)   # `sample` calls it eagerly

    @classmethod
    def from_config_obj(cls, cfg, seed=None):
        return cls(cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len, cfg.start_token, cfg.g_init_std,
                   seed=seed, end_token=None if cfg.end_token < 0 else cfg.end_token).build_all()

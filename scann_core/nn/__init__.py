"""Building blocks of the SCANN model; they see tensors only."""
from .expansion import GaussianExpansion
from .global_attention import GlobalAttention
from .local_attention import LocalAttentionBlock
from .segment import segment_softmax, segment_sum

__all__ = ["GaussianExpansion", "GlobalAttention", "LocalAttentionBlock", "segment_softmax", "segment_sum"]

# Synthetic HumanAesExpert-compatible model (HumanAes Desktop): the Qwen2 causal language model of
# transformers 4.44.2, extended with the Regression head and the hierarchical Expert head.
# Random weights; scores from this model are meaningless.
import torch
from torch import nn
from transformers import Qwen2Config
from transformers.models.qwen2.modeling_qwen2 import Qwen2ForCausalLM as _Qwen2CausalLM

# The Expert head's 12 outputs, in tensor order (the names its text form prints).
DIMENSION_NAMES = (
    "Facial Brightness",
    "Facial Feature Clarity",
    "Facial Skin Tone",
    "Facial Structure",
    "Facial Contour Clarity",
    "Facial Aesthetic Score",
    "Outfit",
    "Body Shape",
    "Looks",
    "Environment",
    "General Appearance Aesthetic Score",
    "Comprehensive Aesthetic Score",
)


class Expert_Head(nn.Module):
    """Twelve sigmoid scores in [0, 1] from one hidden state, computed hierarchically.

    Leaves read the hidden state; each parent reads the hidden state and its children's scores:
    the five facial dimensions feed Facial Aesthetic; Outfit, Body Shape and Looks feed General
    Appearance; Environment and the two parents feed Comprehensive.
    """

    def __init__(self, hidden_size):
        super().__init__()
        self.facial = nn.Linear(hidden_size, 5)
        self.appearance = nn.Linear(hidden_size, 3)
        self.environment = nn.Linear(hidden_size, 1)
        self.facial_aesthetic = nn.Linear(hidden_size + 5, 1)
        self.general_appearance = nn.Linear(hidden_size + 3, 1)
        self.comprehensive = nn.Linear(hidden_size + 3, 1)

    def forward(self, hidden):
        facial = torch.sigmoid(self.facial(hidden))
        facial_aesthetic = torch.sigmoid(self.facial_aesthetic(torch.cat([hidden, facial], -1)))
        appearance = torch.sigmoid(self.appearance(hidden))
        environment = torch.sigmoid(self.environment(hidden))
        general = torch.sigmoid(self.general_appearance(torch.cat([hidden, appearance], -1)))
        overall_inputs = torch.cat([hidden, environment, facial_aesthetic, general], -1)
        comprehensive = torch.sigmoid(self.comprehensive(overall_inputs))
        parts = [facial, facial_aesthetic, appearance, environment, general, comprehensive]
        return torch.cat(parts, -1)


class Qwen2ForCausalLM(_Qwen2CausalLM):
    """Qwen2 causal LM plus `lm_regression_head` and `expert_head`.

    The forward pass is transformers' own (logits, hidden states, KV cache); the heads are applied
    by the caller to the final hidden state of the last position, so one language-model pass
    serves the LM head and the heads alike.
    """

    config_class = Qwen2Config

    def __init__(self, config):
        super().__init__(config)
        self.lm_regression_head = nn.Linear(config.hidden_size, 1)
        self.expert_head = Expert_Head(config.hidden_size)
        self.post_init()

    def regression_score(self, hidden):
        """Regression-head score in [0, 1] for hidden states of shape (..., hidden)."""
        return torch.sigmoid(self.lm_regression_head(hidden)).squeeze(-1)

    def expert_scores(self, hidden):
        """Expert-head scores, shape (..., 12), in DIMENSION_NAMES order."""
        return self.expert_head(hidden)

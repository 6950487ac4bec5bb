# Synthetic HumanAesExpert-compatible model (HumanAes Desktop): InternViT-style vision encoder.
# Random weights; scores from this model are meaningless.
import torch
from einops import rearrange
from timm.models.layers import DropPath
from torch import nn
from transformers.activations import ACT2FN
from transformers.modeling_outputs import BaseModelOutput, BaseModelOutputWithPooling
from transformers.modeling_utils import PreTrainedModel

from .configuration_intern_vit import InternVisionConfig

try:
    from flash_attn import flash_attn_func

    has_flash_attn = True
except Exception:
    # flash_attn is optional: without it (CPU, or no CUDA build) attention is computed plainly.
    has_flash_attn = False


class InternVisionEmbeddings(nn.Module):
    """Patch embedding (14x14 conv) plus a class token and learned positions."""

    def __init__(self, config):
        super().__init__()
        self.embed_dim = config.hidden_size
        self.image_size = config.image_size
        self.patch_size = config.patch_size
        self.class_embedding = nn.Parameter(torch.randn(1, 1, self.embed_dim))
        self.patch_embedding = nn.Conv2d(
            config.num_channels, self.embed_dim, kernel_size=self.patch_size, stride=self.patch_size
        )
        self.num_patches = (self.image_size // self.patch_size) ** 2
        self.position_embedding = nn.Parameter(torch.randn(1, self.num_patches + 1, self.embed_dim))

    def forward(self, pixel_values):
        if pixel_values.shape[-1] != self.image_size or pixel_values.shape[-2] != self.image_size:
            raise ValueError(
                f"expected {self.image_size}x{self.image_size} tiles, got {tuple(pixel_values.shape)}"
            )
        target_dtype = self.patch_embedding.weight.dtype
        patches = self.patch_embedding(pixel_values.to(target_dtype))
        patches = rearrange(patches, "b c h w -> b (h w) c")
        class_token = self.class_embedding.expand(patches.shape[0], 1, -1).to(target_dtype)
        embeddings = torch.cat([class_token, patches], dim=1)
        return embeddings + self.position_embedding.to(target_dtype)


class InternAttention(nn.Module):
    """Multi-head self-attention with a fused qkv projection.

    Laid out like InternVL2's own InternAttention: `_naive_attn(x)` computes the attention
    matrix eagerly, `_flash_attn(x)` uses flash-attn, and `forward` picks one by
    `use_flash_attn`, fixed at construction.
    """

    def __init__(self, config):
        super().__init__()
        self.embed_dim = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = self.embed_dim // self.num_heads
        if self.head_dim * self.num_heads != self.embed_dim:
            raise ValueError("hidden_size must be divisible by num_attention_heads")
        self.scale = self.head_dim**-0.5
        self.use_flash_attn = config.use_flash_attn and has_flash_attn
        self.qkv = nn.Linear(self.embed_dim, 3 * self.embed_dim, bias=config.qkv_bias)
        self.attn_drop = nn.Dropout(config.attention_dropout)
        self.proj_drop = nn.Dropout(config.dropout)
        self.qk_normalization = False  # InternViT-300M has none; the 6B model normalises q, k
        self.proj = nn.Linear(self.embed_dim, self.embed_dim)

    def _naive_attn(self, x):
        batch, tokens, channels = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.num_heads, channels // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        weights = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        weights = self.attn_drop(weights)
        x = (weights @ v).transpose(1, 2).reshape(batch, tokens, channels)
        return self.proj_drop(self.proj(x))

    def _flash_attn(self, x):
        qkv = rearrange(self.qkv(x), "b n (three h d) -> b n three h d", three=3, h=self.num_heads)
        q, k, v = qkv.unbind(2)
        out = flash_attn_func(q, k, v, dropout_p=0.0, softmax_scale=self.scale)
        return self.proj_drop(self.proj(rearrange(out, "b n h d -> b n (h d)")))

    def forward(self, hidden_states):
        if self.use_flash_attn:
            return self._flash_attn(hidden_states)
        return self._naive_attn(hidden_states)


class InternMLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.act = ACT2FN[config.hidden_act]
        self.fc1 = nn.Linear(config.hidden_size, config.intermediate_size)
        self.fc2 = nn.Linear(config.intermediate_size, config.hidden_size)

    def forward(self, hidden_states):
        return self.fc2(self.act(self.fc1(hidden_states)))


class InternVisionEncoderLayer(nn.Module):
    """Pre-norm block with layer scale and stochastic depth (identity at inference)."""

    def __init__(self, config, drop_path_rate):
        super().__init__()
        dim = config.hidden_size
        self.norm1 = nn.LayerNorm(dim, eps=config.layer_norm_eps)
        self.attn = InternAttention(config)
        self.ls1 = nn.Parameter(config.initializer_factor * torch.ones(dim))
        self.drop_path1 = DropPath(drop_path_rate)
        self.norm2 = nn.LayerNorm(dim, eps=config.layer_norm_eps)
        self.mlp = InternMLP(config)
        self.ls2 = nn.Parameter(config.initializer_factor * torch.ones(dim))
        self.drop_path2 = DropPath(drop_path_rate)

    def forward(self, hidden_states):
        hidden_states = hidden_states + self.drop_path1(
            self.attn(self.norm1(hidden_states)) * self.ls1
        )
        hidden_states = hidden_states + self.drop_path2(
            self.mlp(self.norm2(hidden_states)) * self.ls2
        )
        return hidden_states


class InternVisionEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        count = config.num_hidden_layers
        rates = [config.drop_path_rate * i / max(count - 1, 1) for i in range(count)]
        self.layers = nn.ModuleList([InternVisionEncoderLayer(config, rate) for rate in rates])

    def forward(self, inputs_embeds, output_hidden_states=False):
        hidden_states = inputs_embeds
        all_states = (hidden_states,) if output_hidden_states else None
        for layer in self.layers:
            hidden_states = layer(hidden_states)
            if output_hidden_states:
                all_states = all_states + (hidden_states,)
        return BaseModelOutput(last_hidden_state=hidden_states, hidden_states=all_states)


class InternVisionModel(PreTrainedModel):
    """The vision encoder: 448-px tiles in, one feature per 14-px patch (plus class token) out."""

    main_input_name = "pixel_values"
    config_class = InternVisionConfig
    _no_split_modules = ["InternVisionEncoderLayer"]

    def __init__(self, config):
        super().__init__(config)
        self.config = config
        self.embeddings = InternVisionEmbeddings(config)
        self.encoder = InternVisionEncoder(config)
        self.post_init()

    def _init_weights(self, module):
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
        elif isinstance(module, InternVisionEmbeddings):
            module.class_embedding.data.normal_(mean=0.0, std=std)
            module.position_embedding.data.normal_(mean=0.0, std=std)
        elif isinstance(module, InternVisionEncoderLayer):
            module.ls1.data.fill_(self.config.initializer_factor)
            module.ls2.data.fill_(self.config.initializer_factor)

    def get_input_embeddings(self):
        return self.embeddings

    def forward(self, pixel_values=None, output_hidden_states=None, return_dict=None):
        if pixel_values is None:
            raise ValueError("pixel_values are required")
        output_hidden_states = bool(output_hidden_states)
        embeddings = self.embeddings(pixel_values)
        encoded = self.encoder(embeddings, output_hidden_states=output_hidden_states)
        last = encoded.last_hidden_state
        return BaseModelOutputWithPooling(
            last_hidden_state=last, pooler_output=last[:, 0, :], hidden_states=encoded.hidden_states
        )

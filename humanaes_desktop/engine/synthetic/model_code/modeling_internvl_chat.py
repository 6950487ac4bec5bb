# Synthetic HumanAesExpert-compatible model (HumanAes Desktop): InternVL2-style chat model with
# the HumanAesExpert API (score, run_metavoter, expert_score, expert_annotataion).
# Random weights; scores from this model are meaningless.
import torch
from einops import rearrange
from torch import nn
from transformers.modeling_utils import PreTrainedModel

from .configuration_internvl_chat import InternVLChatConfig
from .conversation import get_conv_template
from .modeling_intern_vit import InternVisionModel, has_flash_attn
from .modeling_qwen import DIMENSION_NAMES, Qwen2ForCausalLM

IMG_START_TOKEN = "<img>"
IMG_END_TOKEN = "</img>"
IMG_CONTEXT_TOKEN = "<IMG_CONTEXT>"

SCORE_QUESTION = "<image>\nRate the aesthetics of this human picture."
EXPERT_QUESTION = "<image>\nRate the aesthetics of this human picture in 12 expert dimensions."
LEVEL_WORDS = ("bad", "poor", "fair", "good", "excellent")
LEVEL_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


class MetaVoter(nn.Module):
    """Fuses the LM-head, Regression-head and Expert-head scores into one score in [0, 1]."""

    def __init__(self, hidden_size):
        super().__init__()
        self.fc1 = nn.Linear(3, hidden_size)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_size, 1)

    def forward(self, head_scores):
        return torch.sigmoid(self.fc2(self.act(self.fc1(head_scores)))).squeeze(-1)


class InternVLChatModel(PreTrainedModel):
    """Vision encoder -> pixel shuffle -> MLP projector -> Qwen2 with HumanAesExpert heads.

    Every API method gets vision features only from `extract_feature` and runs the language
    model only through `self.language_model(...)`, so callers can cache either seam.
    """

    config_class = InternVLChatConfig
    main_input_name = "pixel_values"
    base_model_prefix = "language_model"
    _no_split_modules = ["InternVisionModel", "Qwen2DecoderLayer"]

    def __init__(self, config, vision_model=None, language_model=None, use_flash_attn=True):
        super().__init__(config)
        use_flash_attn = bool(use_flash_attn) and has_flash_attn
        config.vision_config.use_flash_attn = use_flash_attn
        config.llm_config._attn_implementation = "flash_attention_2" if use_flash_attn else "eager"
        image_size = config.force_image_size or config.vision_config.image_size
        self.patch_size = config.vision_config.patch_size
        self.select_layer = config.select_layer
        self.template = config.template
        self.downsample_ratio = config.downsample_ratio
        self.ps_version = config.ps_version
        self.num_image_token = int(
            (image_size // self.patch_size) ** 2 * config.downsample_ratio**2
        )
        self.vision_model = vision_model or InternVisionModel(config.vision_config)
        self.language_model = language_model or Qwen2ForCausalLM(config.llm_config)
        vit_hidden = config.vision_config.hidden_size
        llm_hidden = config.llm_config.hidden_size
        shuffled = vit_hidden * int(round(1 / self.downsample_ratio)) ** 2
        self.mlp1 = nn.Sequential(
            nn.LayerNorm(shuffled),
            nn.Linear(shuffled, llm_hidden),
            nn.GELU(),
            nn.Linear(llm_hidden, llm_hidden),
        )
        self.metavoter = MetaVoter(config.metavoter_hidden_size)
        self.img_context_token_id = None
        self.conv_template = get_conv_template(self.template)
        self.system_message = self.conv_template.system_message
        self.post_init()

    def _init_weights(self, module):
        # Only used when the model is built from a config; synthetic folders ship their weights.
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()

    # ----- vision -------------------------------------------------------------------------

    def pixel_shuffle(self, x, scale_factor=0.5):
        """(n, h, w, c) -> (n, h*s, w*s, c/s^2): trades spatial resolution for channels."""
        factor = int(round(1 / scale_factor))
        return rearrange(x, "n (h fh) (w fw) c -> n h w (fw fh c)", fh=factor, fw=factor)

    def extract_feature(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Tiles (n, 3, 448, 448) -> language-model embeddings (n, 256, llm_hidden)."""
        pixel_values = pixel_values.to(self.device)
        if self.select_layer == -1:
            vit_embeds = self.vision_model(pixel_values=pixel_values).last_hidden_state
        else:
            outputs = self.vision_model(pixel_values=pixel_values, output_hidden_states=True)
            vit_embeds = outputs.hidden_states[self.select_layer]
        vit_embeds = vit_embeds[:, 1:, :]  # the class token is not an image token
        side = int(vit_embeds.shape[1] ** 0.5)
        vit_embeds = rearrange(vit_embeds, "n (h w) c -> n h w c", h=side, w=side)
        vit_embeds = self.pixel_shuffle(vit_embeds, scale_factor=self.downsample_ratio)
        vit_embeds = rearrange(vit_embeds, "n h w c -> n (h w) c")
        return self.mlp1(vit_embeds)

    # ----- prompt and language model ------------------------------------------------------

    def build_query(self, question: str, num_tiles: int) -> str:
        """The Hermes-2 prompt text for one image of `num_tiles` tiles."""
        if "<image>" not in question:
            question = "<image>\n" + question
        template = get_conv_template(self.template)
        template.system_message = self.system_message
        template.append_message(template.roles[0], question)
        template.append_message(template.roles[1], None)
        image_tokens = IMG_START_TOKEN + IMG_CONTEXT_TOKEN * self.num_image_token * num_tiles
        return template.get_prompt().replace("<image>", image_tokens + IMG_END_TOKEN, 1)

    def _prompt_inputs(self, tokenizer, vit_embeds, question):
        self.img_context_token_id = tokenizer.convert_tokens_to_ids(IMG_CONTEXT_TOKEN)
        query = self.build_query(question, vit_embeds.shape[0])
        encoded = tokenizer(query, return_tensors="pt")
        input_ids = encoded["input_ids"].to(self.device)
        attention_mask = encoded["attention_mask"].to(self.device)
        inputs_embeds = self.language_model.get_input_embeddings()(input_ids)
        selected = input_ids == self.img_context_token_id
        image_rows = vit_embeds.reshape(-1, vit_embeds.shape[-1])
        if int(selected.sum()) != image_rows.shape[0]:
            raise ValueError("the prompt's image tokens do not match the number of image features")
        inputs_embeds[selected] = image_rows.to(inputs_embeds.dtype)
        return inputs_embeds, attention_mask

    def _language_pass(self, inputs_embeds, attention_mask):
        return self.language_model(
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            output_hidden_states=True,
            return_dict=True,
        )

    def _ask(self, tokenizer, pixel_values, question):
        """One full pass: vision features, prompt, language model. Returns (outputs, mask)."""
        vit_embeds = self.extract_feature(pixel_values)
        inputs_embeds, attention_mask = self._prompt_inputs(tokenizer, vit_embeds, question)
        return self._language_pass(inputs_embeds, attention_mask), attention_mask

    @staticmethod
    def _last_hidden(outputs):
        return outputs.hidden_states[-1][0, -1, :]

    @staticmethod
    def _level_token_ids(tokenizer, leading_space):
        prefix = " " if leading_space else ""
        return [tokenizer.encode(prefix + w, add_special_tokens=False)[0] for w in LEVEL_WORDS]

    def _lm_head_score(self, tokenizer, outputs):
        """Q-Align style: softmax over the five level words' logits, weighted 0 .. 1."""
        level_logits = outputs.logits[0, -1, self._level_token_ids(tokenizer, False)].float()
        weights = torch.tensor(LEVEL_WEIGHTS, device=level_logits.device)
        return (level_logits.softmax(-1) * weights).sum()

    def _expert_head_scores(self, tokenizer, pixel_values):
        outputs, _ = self._ask(tokenizer, pixel_values, EXPERT_QUESTION)
        return self.language_model.expert_scores(self._last_hidden(outputs)).float()

    # ----- the HumanAesExpert API ---------------------------------------------------------

    @torch.no_grad()
    def score(self, tokenizer, pixel_values: torch.Tensor, question: str) -> float:
        """Fast overall score in [0, 1] from the LM head (one pass)."""
        outputs, _ = self._ask(tokenizer, pixel_values, question)
        return float(self._lm_head_score(tokenizer, outputs))

    @torch.no_grad()
    def run_metavoter(self, tokenizer, pixel_values: torch.Tensor) -> float:
        """MetaVoter score in [0, 1] from the LM, Regression and Expert heads (two passes)."""
        outputs, _ = self._ask(tokenizer, pixel_values, SCORE_QUESTION)
        lm_score = self._lm_head_score(tokenizer, outputs)
        hidden = self._last_hidden(outputs)
        regression = self.language_model.regression_score(hidden).float()
        expert = self._expert_head_scores(tokenizer, pixel_values)
        head_scores = torch.stack([lm_score, regression, expert[-1]]).to(self.metavoter.fc1.weight)
        return float(self.metavoter(head_scores))

    @torch.no_grad()
    def expert_score(self, tokenizer, pixel_values: torch.Tensor) -> tuple:
        """(tensor[12], {dimension name: score}) from the Expert head, all in [0, 1]."""
        scores = self._expert_head_scores(tokenizer, pixel_values).cpu()
        return scores, {
            name: float(value) for name, value in zip(DIMENSION_NAMES, scores, strict=True)
        }

    @torch.no_grad()
    def expert_annotataion(self, tokenizer, pixel_values: torch.Tensor, generation_config) -> str:
        """The 12-line annotation "1. Facial Brightness : good" ... from the LM head.

        Synthetic stand-in for a trained LM head: free generation from random weights is noise,
        so each line's text is the fixed training template and only the level word is decoded,
        with the LM head restricted to the five level words at that slot (argmax when
        do_sample is false, sampling at `temperature` when true). Decoding continues the
        expert prompt's pass through its KV cache (`past_key_values`). Other generation
        options (max_new_tokens, top_p, ...) do not apply to this fixed-length template.
        """
        config = dict(generation_config or {})
        do_sample = bool(config.get("do_sample", False))
        temperature = float(config.get("temperature", 1.0) or 1.0)
        outputs, attention_mask = self._ask(tokenizer, pixel_values, EXPERT_QUESTION)
        level_ids = self._level_token_ids(tokenizer, True)
        generated, pending = [], []
        for index, name in enumerate(DIMENSION_NAMES):
            line_start = ("\n" if index else "") + f"{index + 1}. {name} :"
            new_ids = pending + tokenizer.encode(line_start, add_special_tokens=False)
            outputs, attention_mask = self._continue(outputs, attention_mask, new_ids)
            logits = outputs.logits[0, -1, level_ids].float()
            choice = self._choose_level(logits, do_sample, temperature)
            generated += new_ids[len(pending) :] + [level_ids[choice]]
            pending = [level_ids[choice]]
        return tokenizer.decode(generated, skip_special_tokens=True)

    def _continue(self, outputs, attention_mask, new_ids):
        ids = torch.tensor([new_ids], device=self.device)
        inputs_embeds = self.language_model.get_input_embeddings()(ids)
        attention_mask = torch.cat([attention_mask, torch.ones_like(ids)], dim=1)
        outputs = self.language_model(
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            past_key_values=outputs.past_key_values,
            use_cache=True,
            output_hidden_states=True,
            return_dict=True,
        )
        return outputs, attention_mask

    @staticmethod
    def _choose_level(logits, do_sample, temperature):
        if not do_sample:
            return int(torch.argmax(logits))
        return int(torch.multinomial((logits / temperature).softmax(-1), 1))

    def forward(self, pixel_values, input_ids, attention_mask=None, **kwargs):
        """Plain multimodal forward: image features spliced in at the <IMG_CONTEXT> tokens."""
        if self.img_context_token_id is None:
            raise ValueError("set img_context_token_id to the tokenizer's <IMG_CONTEXT> id first")
        vit_embeds = self.extract_feature(pixel_values)
        inputs_embeds = self.language_model.get_input_embeddings()(input_ids)
        selected = input_ids == self.img_context_token_id
        inputs_embeds[selected] = vit_embeds.reshape(-1, vit_embeds.shape[-1]).to(inputs_embeds)
        return self.language_model(
            inputs_embeds=inputs_embeds, attention_mask=attention_mask, **kwargs
        )

# Synthetic HumanAesExpert-compatible model (HumanAes Desktop): top-level configuration.
# Random weights; scores from this model are meaningless.
import copy

from transformers import Qwen2Config
from transformers.configuration_utils import PretrainedConfig

from .configuration_intern_vit import InternVisionConfig


class InternVLChatConfig(PretrainedConfig):
    """Vision encoder + projector + Qwen2 language model with the HumanAesExpert heads."""

    model_type = "internvl_chat"
    is_composition = True

    def __init__(
        self,
        vision_config=None,
        llm_config=None,
        select_layer=-1,
        force_image_size=None,
        downsample_ratio=0.5,
        template="Hermes-2",
        dynamic_image_size=True,
        use_thumbnail=True,
        ps_version="v2",
        min_dynamic_patch=1,
        max_dynamic_patch=12,
        metavoter_hidden_size=16,
        humanaes_synthetic=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(vision_config, InternVisionConfig):
            vision_config = vision_config.to_dict()
        if isinstance(llm_config, Qwen2Config):
            llm_config = llm_config.to_dict()
        self.vision_config = InternVisionConfig(**(vision_config or {}))
        self.llm_config = Qwen2Config(**(llm_config or {}))
        self.select_layer = select_layer
        self.force_image_size = force_image_size
        self.downsample_ratio = downsample_ratio
        self.template = template
        self.dynamic_image_size = dynamic_image_size
        self.use_thumbnail = use_thumbnail
        self.ps_version = ps_version
        self.min_dynamic_patch = min_dynamic_patch
        self.max_dynamic_patch = max_dynamic_patch
        self.metavoter_hidden_size = metavoter_hidden_size
        # Present only in synthetic folders: {"preset", "seed", "note"}. Applications use it to
        # label every score from this model as synthetic.
        self.humanaes_synthetic = humanaes_synthetic

    def to_dict(self):
        output = copy.deepcopy(self.__dict__)
        output["vision_config"] = self.vision_config.to_dict()
        output["llm_config"] = self.llm_config.to_dict()
        output["model_type"] = self.__class__.model_type
        output.pop("_attn_implementation_internal", None)
        return output

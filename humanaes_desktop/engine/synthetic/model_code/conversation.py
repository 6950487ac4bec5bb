# Synthetic HumanAesExpert-compatible model (HumanAes Desktop): chat prompt templates.
import dataclasses


@dataclasses.dataclass
class Conversation:
    """A chat prompt in the ChatML layout (role header, message, separator, newline)."""

    name: str
    system_template: str = "<|im_start|>system\n{system_message}"
    system_message: str = ""
    roles: tuple = ("<|im_start|>user\n", "<|im_start|>assistant\n")
    sep: str = "<|im_end|>"
    messages: list = dataclasses.field(default_factory=list)

    def append_message(self, role, message):
        """Add a turn; a message of None leaves the role open for the model's answer."""
        self.messages.append([role, message])

    def get_prompt(self):
        """The full prompt text, ending with the open assistant header."""
        prompt = self.system_template.format(system_message=self.system_message) + self.sep + "\n"
        for role, message in self.messages:
            if message is None:
                prompt += role
            else:
                prompt += role + message + self.sep + "\n"
        return prompt

    def copy(self):
        return dataclasses.replace(self, messages=[list(m) for m in self.messages])


conv_templates = {}


def register_conv_template(template):
    conv_templates[template.name] = template


def get_conv_template(name):
    """A fresh copy of a registered template."""
    return conv_templates[name].copy()


register_conv_template(
    Conversation(
        name="Hermes-2",
        system_message="You are an expert in the aesthetics of human images.",
    )
)

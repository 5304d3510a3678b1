"""The OpenAI chat-completions API and its siblings: models, images, speech."""

"""Knowledge base: articles (Markdown + front matter), their storage and revisions, and retrieval."""

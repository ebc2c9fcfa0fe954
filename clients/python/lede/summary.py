"""Summary: a SummarizeResponse as the gateway's JSON gives it (lowerCamelCase keys), a dict,
with a few conveniences."""


class Summary(dict):
    @property
    def texts(self):
        """The summary's sentences as strings, in document order."""
        by = {s["index"]: s for s in self.get("sentences", [])}
        return [by[i]["text"] for i in self.get("summary", []) if i in by]

    @property
    def sentences(self):
        return self.get("sentences", [])

    @property
    def language(self):
        return self.get("language", "")

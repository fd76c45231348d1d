"""The form field for several photos in one file input: one home for the pages that take
photos (a pledge's progress line, an activity's photos)."""

from django import forms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one file input (the service checks and re-encodes each): at most
    `limit`, else the error `too_many` (with %(count)d, the limit). Optional unless told."""

    def __init__(self, *args, limit: int, too_many, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        kwargs.setdefault("required", False)
        self.limit, self.too_many = limit, too_many
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        files = [super(PhotosField, self).clean(file, initial) for file in files if file]
        if len(files) > self.limit:
            raise forms.ValidationError(self.too_many % {"count": self.limit})
        return files

"""Messages of libraries whose French wording the project fixes itself.

Django REST framework ships its own French catalogue, which would otherwise replace Django's
wording on the pages (catalogues of installed apps outrank Django's own).
"""

from django.utils.translation import gettext_noop

PINNED = (gettext_noop("Enter a valid email address."),)

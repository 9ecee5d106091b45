"""Privacy: pseudonyms, scrubbing, disclosure control of the release, comments, research extracts.

- :mod:`toolkit.privacy.pseudonym`: keyed pseudonyms (HMAC-SHA256) and the secret key;
- :mod:`toolkit.privacy.scrub`: names and e-mail addresses out of free text;
- :mod:`toolkit.privacy.disclosure`: the release table, the only input of reports and the portal
  (its rules in :mod:`toolkit.privacy._suppress`);
- :mod:`toolkit.privacy.comments`: the comment release;
- :mod:`toolkit.privacy.extract`: research extracts with k-anonymous quasi-identifiers.
"""

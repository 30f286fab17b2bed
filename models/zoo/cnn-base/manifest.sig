{
  "algorithm": "ed25519",
  "keyId": "32a76af83fc5493d",
  "signature": "2X11WAPNLfpg9tckaK5YHPo7emA304NONM342fNeb45XkhtEnGeCmNcefbAd/OMjzEEKDRGtk2kyq5SfFbVuAw=="
}

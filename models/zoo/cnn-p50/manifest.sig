{
  "algorithm": "ed25519",
  "keyId": "32a76af83fc5493d",
  "signature": "ZQj2Kbr7PmYxwYh3ruHGQojL3pPXwAZv/K3ycjQ+DKgYT5oRMNtd340EsmoFrPee3PyWufqYaym2wbTAYA7EBA=="
}

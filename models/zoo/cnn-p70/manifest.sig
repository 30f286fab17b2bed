{
  "algorithm": "ed25519",
  "keyId": "32a76af83fc5493d",
  "signature": "bh2hjr0bk/0IwMN3bB9CJOpncnEyHkmcjU7lbVJ5X+s1/JCddwM9kcsbYm5Y2/ZhDWtzzuDqy4g3BU2+DOBYBw=="
}

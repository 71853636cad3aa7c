// Bundles only: node-fetch 2 (inside cross-fetch) requires whatwg-url, but uses it only where Node has no URL
// (`Url.URL || whatwgUrl.URL`). Node 20 has one, so the 300 KB of whatwg-url and its Unicode tables stay out.
'use strict';
module.exports = { URL: require('node:url').URL };

package oidcprovider

import "html/template"

// scopeText says in the page what each scope shares.
var scopeText = map[string]string{
	ScopeProfile:    "nama dan tanggal lahir (name and date of birth)",
	ScopeAddress:    "alamat (address)",
	ScopeNIK:        "NIK (national identity number)",
	ScopeFamilyCard: "nomor Kartu Keluarga dan nama kepala keluarga (family card number and head of family)",
}

// pageData fills the login page.
type pageData struct {
	Client              string
	Wants               []string
	QR                  template.URL
	CrossLink, SameLink template.URL
	StatusURL           string
	Until, UntilEN      string
}

// loginPage is the login page, in Indonesian with English, readable
// without scripts (the QR and the links work; the result then needs a
// reload) and announcing the outcome to screen readers (aria-live).
var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Masuk dengan IKD — Log in with IKD</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #111; }
h1 { font-size: 1.5rem; }
.en { color: #444; }
img { width: 16rem; height: 16rem; image-rendering: pixelated; border: 1px solid #888; }
a.button { display: inline-block; padding: .75rem 1.25rem; background: #0b57d0; color: #fff; border-radius: .5rem; text-decoration: none; }
a.button:focus { outline: 3px solid #f90; outline-offset: 2px; }
#status { margin-top: 1.5rem; padding: .75rem; border-left: 4px solid #0b57d0; background: #eef3fd; }
</style>
</head>
<body>
<main>
<h1>Masuk ke {{.Client}} dengan IKD <span class="en" lang="en">— Log in to {{.Client}} with IKD</span></h1>
<p>{{.Client}} meminta <span lang="en" class="en">(asks for)</span>:</p>
<ul>{{range .Wants}}<li>{{.}}</li>{{else}}<li>hanya identitas Anda, tanpa data lain <span lang="en" class="en">(only that it is you, no other data)</span></li>{{end}}</ul>
<p>Izin ini berlaku sampai {{.Until}} dan dapat Anda cabut kapan saja dari dompet IKD.
<span lang="en" class="en">The permission lasts until {{.UntilEN}}; you can withdraw it from your IKD wallet at any time.</span></p>
<h2>Di perangkat lain <span lang="en" class="en">— On another device</span></h2>
<p>Pindai kode QR ini dengan dompet IKD Anda. <span lang="en" class="en">Scan this QR code with your IKD wallet.</span></p>
<p><img id="qr" src="{{.QR}}" alt="Kode QR permintaan masuk IKD (QR code of the IKD login request)"></p>
<p><small>Tautan yang sama <span lang="en" class="en">(the same request as a link)</span>: <a id="cross-link" href="{{.CrossLink}}">openid4vp://</a></small></p>
<h2>Di ponsel ini <span lang="en" class="en">— On this phone</span></h2>
<p><a class="button" id="same-device" href="{{.SameLink}}">Buka dompet IKD <span lang="en">(Open the IKD wallet)</span></a></p>
<div id="status" role="status" aria-live="polite">Menunggu dompet IKD… <span lang="en" class="en">Waiting for the IKD wallet…</span></div>
<noscript><p>Setelah menyetujui di dompet, muat ulang halaman ini. <span lang="en">After approving in the wallet, reload this page.</span></p></noscript>
</main>
<script>
(function () {
  var status = document.getElementById('status');
  function poll() {
    fetch({{.StatusURL}}, {credentials: 'same-origin', cache: 'no-store'}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.state === 'pending') { setTimeout(poll, 1000); return; }
      if (s.state === 'done') {
        status.textContent = 'Berhasil, melanjutkan… (Verified, continuing…)';
        window.location.assign(s.next);
        return;
      }
      status.textContent = 'Gagal: ' + s.message + ' (Login failed)';
    }).catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
</script>
</body>
</html>
`))

// errorPage tells why a login cannot go on.
var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Masuk dengan IKD gagal — IKD login failed</title></head>
<body><main><h1>Masuk dengan IKD gagal <span lang="en">— IKD login failed</span></h1>
<p role="alert" lang="en">{{.}}</p></main></body></html>
`))

# Teksty sygnal dla ludzi, po polsku (język domyślny). Każdy komunikat ma odpowiednik w en.ftl
# (test sprawdza, że oba pliki mają te same identyfikatory). Terminy jak w ustawie z 14 czerwca
# 2024 r. o ochronie sygnalistów: zgłoszenie, potwierdzenie przyjęcia, działania następcze,
# informacja zwrotna.

## Statusy (słowo w nawiasie przyjmuje `cases status`)
status-received = przyjęta
status-acknowledged = potwierdzono przyjęcie
status-in-follow-up = w działaniach następczych
status-feedback-given = przekazano informację zwrotną
status-closed = zakończona
status-rejected = odrzucona
status-transferred = przekazana

## Terminy
deadline-acknowledgement = potwierdzenie przyjęcia
deadline-feedback = informacja zwrotna
deadline-destroy-irrelevant = usunięcie materiału nieprzydatnego
due-in = { $due } ({ $days ->
    [0] dziś
    [1] jutro
   *[other] za { $days } dni
})
due-overdue = { $due } (PO TERMINIE o { $days ->
    [one] { $days } dzień
   *[other] { $days } dni
})
due-nothing = brak terminów
due-attachment = {" "}(załącznik { $attachment })
due-note = {" "}(notatka #{ $note })

## Jak wpłynęło zgłoszenie
arrived-encrypted = zaszyfrowane
arrived-unencrypted = NIEZASZYFROWANE
signature-trusted = podpis zweryfikowany zaufanym kluczem
signature-unknown = podpisane, nadawca nieznany (podpisu nie zweryfikowano zaufanym kluczem)
signature-none = bez podpisu

## cases list
cases-none = brak spraw
col-case = Sprawa
col-received = Przyjęto
col-status = Status
col-deadline = Najbliższy termin
col-arrived = Wpłynęło
case-destroyed = USUNIĘTA { $on } (retencja): nic z niej się nie otworzy

## Pola rejestru
field-case = Sprawa:
field-status = Status:
field-category = Przedmiot naruszenia:
field-received = Przyjęto:
field-acknowledged = Potwierdzono przyjęcie:
field-feedback = Informacja zwrotna:
field-ended = Zakończono działania:
field-outcome = Wynik:
field-rejected-because = Powód odrzucenia:
field-transferred-to = Przekazano do:
field-keep-until = Przechowywać do:
field-proceedings-ended = Zakończenie postępowania:
field-identity = Tożsamość:
field-due = Termin ({ $deadline }):
field-reply = Odpowiedź:
field-arrived = Wpłynęło:
field-opened = Otwarto:
field-subject = Temat:
value-done-due = { $done } (termin { $due })
value-proceedings-ended = { $on } (wszczęte w wyniku sprawy; dane przechowuje się 3 lata po końcu tego roku)
value-identity-disclosed = UJAWNIONA osobie trzeciej (zob. `sygnal identity log`)
value-weak-decryption = tylko z wyjątkiem od standardowych zasad: { $flags } (stary program pocztowy lub stary klucz; treść jest taka, jak ją wysłano, ale szyfrowanie było słabsze)
value-subject-unencrypted = { $subject } (wysłany BEZ SZYFROWANIA, poza zaszyfrowaną treścią: każdy po drodze mógł go odczytać lub zmienić)

## Wyniki
outcome-substantiated = potwierdzone
outcome-partly-substantiated = częściowo potwierdzone
outcome-unsubstantiated = niepotwierdzone
outcome-not-investigable = nie dało się wyjaśnić

## Działania następcze
action-investigation = postępowanie wyjaśniające
action-interview = rozmowa
action-document-request = żądanie dokumentów
action-reporter-contact = kontakt z sygnalistą
action-external-review = opinia zewnętrzna
action-corrective-action = działanie naprawcze
action-referral = skierowanie sprawy
action-recovery = odzyskanie środków
action-other = inne działanie

## Notatki i działania
events-heading = Notatki i działania
events-none = brak notatek i działań
event-note = notatka
event-action = działanie: { $kind }
event-by = – { $actor }
event-note-destroyed = (notatka usunięta { $on } jako nieprzydatna dla zgłoszenia)
event-note-irrelevant = (uznana za nieprzydatną: do usunięcia do { $by })
recorded-note = zapisano notatkę #{ $id } w sprawie { $number }
recorded-action = zapisano działanie #{ $id } ({ $kind }) w sprawie { $number }
recorded-note-sealed = notatka jest zaszyfrowana: otworzą ją tylko osoby z dostępem do sprawy

## cases show
reply-off = nie przez bramkę (gdy sprawa wpłynęła, sekcja [contact] była wyłączona)
reply-open-encrypted = możliwa przez `sygnal cases reply` (szyfrowana kluczem sygnalisty)
reply-open-plain = możliwa przez `sygnal cases reply` (bez szyfrowania: sygnalista nie podał klucza)
reply-ended = kontakt zakończony: { $why }
reply-none = niemożliwa: { $why }
follow-up-heading = Wiadomość { $message } od sygnalisty (odpowiedź na pismo w sprawie), przyjęta { $received }: { $arrived }
attachments-heading = Załączniki:
attachment-no-name = (bez nazwy)
size-bytes = { $bytes ->
    [one] { $bytes } bajt
    [few] { $bytes } bajty
   *[many] { $bytes } bajtów
}
attachment-destroyed = usunięty { $on } jako nieprzydatny dla zgłoszenia: nic z niego się nie otworzy
attachment-irrelevant = uznany za nieprzydatny: do usunięcia do { $by }
attachment-not-cleaned = NIEOCZYSZCZONY: { $why }
attachment-unknown-reason = przyczyna nieznana
attachment-metadata-removed = usunięte metadane: { $fields }
attachment-no-metadata = nie znaleziono metadanych identyfikujących
unencrypted-parts-heading = Części, które wpłynęły POZA szyfrowaniem (nie pochodzą z zaszyfrowanego zgłoszenia; mogą być podrobione):

## Poczta do sygnalistów jeszcze niewysłana (cases due)
unsent-heading = poczta do sygnalistów jeszcze niewysłana:
unsent-failed = NIEUDANA
unsent-interrupted = przerwana w trakcie wysyłki; zostanie wysłana ponownie przy następnym przebiegu
unsent-planned = zaplanowana
unsent-next-attempt = następna próba { $at }
unsent-reply = odpowiedź
unsent-attempts = { $n ->
    [one] { $n } próba
    [few] { $n } próby
   *[many] { $n } prób
}

## cases list --key, cases search
col-subject = Temat
cases-not-opened = Pominięto spraw, których ten klucz nie otwiera: { $n } (zaszyfrowano je przed dodaniem klucza: `sygnal keys reseal`)
search-where = wiadomość { $message }
search-subject = temat
search-body = treść
search-summary = Znalezione wiersze: { $hits }; przeszukane sprawy: { $searched }

## The printed case file (cases export --pdf)
pdf-case-title = AKTA SPRAWY { $number } (ZGŁOSZENIE WEWNĘTRZNE)
pdf-made-on = Wydruk z rejestru zgłoszeń wewnętrznych, sporządzony { $on }
pdf-register-heading = 1. Dane sprawy w rejestrze
pdf-report-heading = 2. Zgłoszenie (wiadomość 1)
pdf-follow-ups-heading = 3. Dalsze wiadomości od sygnalisty
pdf-follow-ups-none = brak
pdf-events-heading = 4. Notatki i działania następcze
pdf-signature-heading = 5. Podpis
pdf-signature = Sporządził(a): ________________________________   data: ______________
pdf-no-identity = Dane osobowe zgłaszającego i dane pozwalające ustalić jego tożsamość nie są częścią tego wydruku; przechowuje je sygnal zaszyfrowane dla osób upoważnionych. Wydanie wydruku zapisano w dzienniku audytu.
pdf-page = Sprawa { $number } · strona { $page }/{ $pages }
case-pdf-written = { $path }: akta sprawy { $number } (bez danych zgłaszającego)
case-exported = Sprawę { $number } zapisano w folderze { $path } (bez danych zgłaszającego)
file-exists = { $path } już istnieje: podaj nową nazwę pliku (istniejący plik nie jest nadpisywany)

## Codzienne zestawienie terminów (e-mail do osób prowadzących sprawy)
digest-subject = sygnal: terminy spraw na { $day }
digest-intro = Terminy w sprawach zgłoszeń na dzień { $day }: zaległe i przypadające w ciągu { $days ->
    [one] { $days } dnia
   *[other] { $days } dni
}.
digest-line = { $number }  { $deadline }: { $when }
digest-details = Szczegóły: sygnal cases due --key TWÓJ-KLUCZ, sprawa: sygnal cases show NUMER --key TWÓJ-KLUCZ.
digest-footer = Wiadomość wysłana automatycznie przez sygnal, raz dziennie, gdy są terminy; nie odpowiadaj na nią. Nie zawiera treści zgłoszeń ani danych osób. Wyłącza ją administrator: deadline-digest = false w sekcji [contact].

## Odmowy, które spotyka osoba rozpatrująca zgłoszenia lub powiernik (co, gdzie, co zrobić)
error-prefix = sygnal: błąd:
err-no-case = nie ma sprawy { $number }: numery spraw pokazuje `sygnal cases list`
err-not-current-reader = klucz { $key } nie należy do żadnej z obecnych osób z dostępem (usuniętej albo nigdy niedodanej): niczego nim nie otworzysz ani nie odnotujesz; osoby z dostępem pokazuje `sygnal handlers list`
err-not-custodian = klucz { $key } nie należy do obecnego powiernika tożsamości: może to zrobić tylko powiernik
err-not-custodian-secret = to nie jest klucz prywatny powiernika { $key } (albo hasło jest błędne, albo klucz nie może podpisywać)
err-not-recipient = ten klucz nie otwiera { $record }: nie jest kluczem { $role }
err-not-recipient-reseal = ten klucz nie otwiera { $record }: nie jest kluczem { $role }. Należy do obecnej osoby z dostępem, więc { $record } zaszyfrowano, zanim ją dodano (lub dodano ponownie): otworzy się po `sygnal keys reseal --key KLUCZ` wykonanym kluczem, który ją otwiera
err-wrong-passphrase = błędne hasło klucza prywatnego: sprawdź SYGNAL_PASSPHRASE albo wpisz hasło ponownie
record-case = sprawy { $number }
record-detail = szczegółu #{ $id } sprawy { $number }
record-attachment = załącznika { $index } sprawy { $number }
record-message = wiadomości { $seq } sprawy { $number }
record-quarantine = wpisu kwarantanny #{ $id }
role-handler = osoby rozpatrującej zgłoszenia
role-custodian = powiernika tożsamości
role-note-reader = osoby, dla której zaszyfrowano notatki
err-on-before-receipt = --on: { $on } to data sprzed przyjęcia sprawy ({ $received })
err-on-future = --on: { $on } to data z przyszłości; odnotuj to w dniu, w którym się stanie
err-note-empty = notatka jest pusta
err-note-not-utf8 = notatka nie jest tekstem w UTF-8
err-note-too-large = notatka ma więcej niż { $max } bajtów; dokumenty dołącz do akt sprawy
err-close-needs-outcome = zakończenie sprawy wymaga wyniku: `sygnal cases close { $number } --outcome WYNIK` ({ $choices })
err-reject-needs-reason = odrzucenie sprawy wymaga powodu: --reason { $choices }
err-transfer-needs-recipient = przekazanie sprawy wymaga adresata: --to { $choices }
err-end-reason-wrong-status = { $given } dotyczy statusu { $status }, nie { $to }
err-transition = sprawa nie może przejść ze statusu „{ $from }” do „{ $to }”{ $hint ->
    [ended] {" "}(działania następcze się zakończyły)
    [already] {" "}(już ma ten status)
    [received-once] {" "}(sprawę przyjmuje się tylko raz)
    [acknowledgement-first] {" "}(najpierw potwierdzenie przyjęcia)
    [follow-up-first] {" "}(najpierw rozpocznij działania następcze: status in-follow-up)
    [acknowledged-already] {" "}(potwierdzenie przyjęcia jest już odnotowane)
   *[none] {""}
}
err-search-too-short = podaj co najmniej 3 znaki do wyszukania
err-unseal-reason = --reason musi mówić, po co potrzebna jest tożsamość (co najmniej kilka słów); powód trafia do dziennika
err-reporter-notice = przed ujawnieniem tożsamości sygnalistę zawiadamia się na piśmie, z uzasadnieniem, chyba że zawiadomienie zagroziłoby postępowaniu wyjaśniającemu lub sądowemu (art. 8 ustawy z 14 czerwca 2024 r.). Wskaż, co zachodzi: --reporter-notice informed | --reporter-notice withheld-would-endanger
err-disclosure-field = trzeba podać { $flag } (trafia do rejestru)
err-reason-irrelevant-attachment = --reason: napisz, dlaczego załącznik nie ma znaczenia dla zgłoszenia
err-reason-irrelevant-note = --reason: napisz, dlaczego notatka nie ma znaczenia dla zgłoszenia
err-reason-hold = --reason: napisz, dlaczego sprawę trzeba zachować (np. postępowanie, które wszczęła)
err-contact-off = kontakt z sygnalistami jest wyłączony: skonfiguruj [contact] i [contact.smtp] (zob. README)
err-reply-empty = odpowiedź jest pusta
err-reply-too-large = odpowiedź ma { $bytes } bajtów, ponad limit { $max }: wyślij ją w częściach
err-no-contact = w sprawie { $number } nie można niczego wysłać: { $why }
err-contact-ended = kontakt w sprawie { $number } zakończono: { $why }
err-no-reply-address = sprawa { $number } nie ma adresu do odpowiedzi (wpłynęła, zanim skonfigurowano [contact])
err-end-contact-reason = napisz w jednym wierszu (najwyżej 200 bajtów), dlaczego kontakt się kończy, np. „wycofane przez sygnalistę”; zapisuje się dosłownie, więc bez nazwisk
no-contact-no-address = wiadomość nie ma adresu nadawcy
no-contact-several-addresses = wiadomość podaje kilka adresów nadawcy
no-contact-auto-submitted = wiadomość wysłano automatycznie (Auto-Submitted)
no-contact-bulk = wiadomość przyszła z listy dyskusyjnej lub od nadawcy masowego
no-contact-null-sender = wiadomość ma pusty adres nadawcy (zwrot lub demon pocztowy)
no-contact-reply-to-elsewhere = jej Reply-To wskazuje inną domenę niż From; powiernik może sprawdzić zapis tożsamości

## Odmowy samego wiersza poleceń
cli-unknown-choice = nieznana wartość { $what }: „{ $given }”; do wyboru: { $choices }
cli-status-choices = { $offered } (zakończenie: `sygnal cases close NUMER --outcome WYNIK`)
cli-close-with-close = sprawę kończy się poleceniem `sygnal cases close NUMER --outcome WYNIK`
cli-reason-or-recipient = podaj --reason (odrzucona) albo --to (przekazana), nie oba naraz
cli-key-unreadable = nie można odczytać pliku klucza { $path }
cli-key-unusable = { $path } nie jest użytecznym kluczem prywatnym: { $why }
cli-passphrase-prompt = Hasło klucza { $key }:{" "}
cli-passphrase-unreadable = nie można odczytać hasła (poza terminalem ustaw SYGNAL_PASSPHRASE)
cli-file-unreadable = nie można odczytać { $path }: { $why }
word-status = statusu
word-category = kategorii
word-outcome = wyniku
word-reason = powodu
word-recipient = adresata
word-action-kind = rodzaju działania

## identity unseal, disclose, log (powiernicy)
identity-heading = Zapis tożsamości w sprawie { $number } (to otwarcie trafia do dziennika)
identity-later-message = --- Wiadomość { $message } od sygnalisty
identity-originating-ip = Adres IP nadawcy:
identity-received-via = Przez serwery:
identity-signed-by = Podpis:
identity-also-encrypted-to = Zaszyfrowano też do:
identity-pgp-file-name = Nazwa pliku PGP:
identity-none = brak
identity-signature-trusted = zweryfikowany zaufanym kluczem
identity-signature-self = zweryfikowany tylko kluczem z samej wiadomości: niczego nie dowodzi
identity-signature-unverified = niezweryfikowany
identity-all-headers = (wszystkie nagłówki: --json)
identity-attachments-heading = Metadane załączników (oryginały są tu zaszyfrowane; sprawa ma oczyszczone kopie):
identity-attachment = załącznik { $index } (sha256 oryginału { $sha256 }):
disclosure-recorded = odnotowano ujawnienie #{ $id } tożsamości w sprawie { $number }
disclosure-informed = odnotowano: sygnalistę zawiadomiono wcześniej
disclosure-withheld = odnotowano: sygnalisty NIE zawiadomiono, bo zagroziłoby to postępowaniu; zawiadom go, gdy ta przyczyna ustanie
identity-log-none = brak otwarć i ujawnień tożsamości
identity-log-unsealed = otwarcie
identity-log-disclosed = ujawnienie
identity-log-reason = powód
identity-log-to = komu
identity-log-legal-basis = podstawa prawna
identity-log-sealed = (powody są zaszyfrowane: dodaj --key KLUCZ-POWIERNIKA, by je odczytać)
identity-log-informed = sygnalistę zawiadomiono wcześniej
identity-log-withheld = sygnalisty nie zawiadomiono (zagroziłoby to postępowaniu)

## Konsola w przeglądarce (sygnal console)
console-nav-due = Terminy
console-nav-cases = Sprawy
console-due-heading = Terminy: najpierw przekroczone
console-cases-heading = Sprawy
console-cases-none = Żadna sprawa nie spełnia warunków.
console-case-heading = Sprawa { $number }
console-case-deadlines = Otwarte terminy
console-case-key-notice = Treść zgłoszenia, notatki i działania otwiera Twój klucz; ta strona pokazuje tylko to, co go nie wymaga.
console-problem-heading = Nie można tego pokazać
console-col-case = Sprawa
console-col-deadline = Termin na
console-col-due = Do dnia
console-col-days = Dni
console-col-status = Status
console-col-received = Przyjęta
console-col-next = Najbliższy termin
console-col-arrived = Wpłynęła
console-filter-any = dowolny
console-filter-year = Rok przyjęcia
console-filter-apply = Pokaż
console-days-overdue = { $days ->
    [one] 1 dzień po terminie
   *[other] { $days } dni po terminie
}
console-days-left = { $days ->
    [one] został 1 dzień
    [few] zostały { $days } dni
   *[other] zostało { $days } dni
}
console-due-today = termin dziś
console-destroyed = usunięta { $date }
console-arrived-encrypted = zaszyfrowana
console-arrived-unencrypted = niezaszyfrowana

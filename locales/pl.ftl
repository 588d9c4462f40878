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

# Pomoc wiersza poleceń po polsku. Identyfikator to ścieżka polecenia: `help-cases-show` to opis
# `sygnal cases show`, `help-cases-show--key` jego opcji --key, a `help-arg--key` każdej opcji
# --key bez własnego opisu. Polecenia i argumenty bez wpisu zachowują opis angielski.

help-template = {"{"}about-with-newline{"}"}
    Użycie: {"{"}usage{"}"}

    {"{"}all-args{"}"}{"{"}after-help{"}"}
help-heading-commands = Polecenia
help-heading-options = Opcje
help-heading-arguments = Argumenty
help-flag-help = Wyświetla pomoc
help-flag-version = Wyświetla wersję

help = sygnal: bramka skrzynki sygnalistów, która zamienia skrzynkę zgłoszeń w zaszyfrowany rejestr spraw

## Opcje wspólne
help-arg--config = Plik konfiguracji
help-arg--tenant = Skrzynka (najemca), gdy konfiguracja ma kilka sekcji `[tenants.NAZWA]`; zbędne, gdy jest jedna. `run` bez niej opróżnia wszystkie skrzynki
help-arg--json = Wynik w formacie JSON
help-arg--log_format = Zapis dziennika na stderr: `plain` (tekst, bez znaczników czasu, gdy stderr to dziennik systemd) albo `json` (jeden obiekt w wierszu)
help-arg--key = Plik z kluczem prywatnym osoby rozpatrującej (hasło z SYGNAL_PASSPHRASE albo z pytania)
help-arg--number = Numer sprawy, np. ZW/2026/0001
help-arg--on = Data zdarzenia (RRRR-MM-DD), domyślnie dziś

## Polecenia główne
help-init = Zakłada rejestr i, jeśli go brak, klucz przyjmowania zgłoszeń. Można uruchomić ponownie
help-keys = Klucze przyjmowania zgłoszeń
help-handlers = Osoby z dostępem: rozpatrujące zgłoszenia i powiernicy tożsamości
help-run = Opróżnia skrzynkę do rejestru
help-cases = Sprawy
help-identity = Tożsamość sygnalisty (tylko powiernicy)
help-quarantine = Wiadomości, których nie dało się zarejestrować jako spraw
help-audit = Dziennik zdarzeń (audyt)
help-stats = Statystyki dla kierownictwa: tylko liczby, małe liczby ukryte
help-retention = Retencja: usuwanie spraw po terminie przechowywania i zapis usunięć
help-register = Rejestr zgłoszeń wewnętrznych (art. 29)
help-doctor = Sprawdza konfigurację, folder kluczy, trwałość rejestru i ważność kluczy (a z --mailbox także pozostałe foldery skrzynki)
help-mailbox = Foldery skrzynki inne niż folder zgłoszeń
help-backup = Kopia rejestru (a na życzenie także folderu kluczy, zaszyfrowanego dla powierników tożsamości)
help-backup--out = Nowy plik kopii rejestru (tryb 0600): jeden plik SQLite dla obu baz, zrobiony bez zatrzymywania przyjmowania zgłoszeń
help-backup--keys_out = Także folder kluczy, zaszyfrowany dla obecnych powierników, do tego nowego pliku; trzymaj go osobno i nie dłużej, niż pozwala retencja (README)
help-console = Konsola w przeglądarce na tym komputerze: terminy, sprawy, daty
help-console--listen = Adres, na którym nasłuchuje (tylko pętla zwrotna); otwórz http://127.0.0.1:8470/ w przeglądarce
help-restore = Odtwarza rejestr (i folder kluczy) z kopii, sprawdza łańcuch audytu i od razu uruchamia retencję
help-restore--from = Plik zapisany przez `sygnal backup --out`
help-restore--keys_from = Zaszyfrowane archiwum folderu kluczy (`sygnal backup --keys-out`), odtwarzane do pustego folderu kluczy
help-restore--key = Klucz prywatny powiernika tożsamości, którym otwiera się archiwum kluczy

## sygnal cases
help-cases-list = Lista spraw: numer, data przyjęcia, status, najbliższy termin, sposób wpłynięcia. Nigdy treść; klucz zbędny
help-cases-list--status = Tylko sprawy w tym statusie (received, acknowledged, in-follow-up, …)
help-cases-list--due_within = Tylko sprawy z terminem w ciągu tylu dni (także po terminie)
help-cases-list--category = Tylko sprawy o tym przedmiocie naruszenia (kategoria z art. 3)
help-cases-list--year = Tylko sprawy przyjęte w tym roku
help-cases-show = Otwiera sprawę kluczem prywatnym osoby rozpatrującej (odnotowane w dzienniku): pola rejestru, terminy, zgłoszenie, notatki i działania
help-cases-show--save_attachments = Zapisuje załączniki w tym folderze
help-cases-status = Zmienia status (received, acknowledged, in-follow-up, feedback-given, rejected, transferred); data to dzień zdarzenia (domyślnie dziś)
help-cases-status--status = Nowy status
help-cases-status--on = Data zdarzenia (RRRR-MM-DD), np. dzień wysłania potwierdzenia przyjęcia
help-cases-status--reason = Dla `rejected`: powód (out-of-scope, no-new-information, insufficient-information, other; szczegóły w notatce)
help-cases-status--to = Dla `transferred`: adresat (ombudsman, public-authority, prosecutor, police, eu-body, other; nazwa w notatce)
help-cases-note = Dodaje notatkę (tekst ze standardowego wejścia albo z --file), zaszyfrowaną dla osób z dostępem
help-cases-note--file = Czyta notatkę z tego pliku zamiast ze standardowego wejścia
help-cases-action = Zapisuje działanie następcze (z datą i rodzajem; zaszyfrowana notatka z --file)
help-cases-action--kind = Rodzaj: investigation, interview, document-request, reporter-contact, external-review, corrective-action, referral, recovery, other
help-cases-action--file = Notatka do działania, zaszyfrowana
help-cases-close = Zamyka sprawę: działania następcze zakończone z wynikiem; zaczyna się okres przechowywania
help-cases-close--outcome = substantiated, partly-substantiated, unsubstantiated, not-investigable
help-cases-close--on = Dzień zakończenia działań następczych (domyślnie dziś)
help-cases-hold = Zatrzymuje sprawę po terminie przechowywania (postępowanie, które wszczęła): retencja ją pomija do `cases release`. Powód zapisuje się jako zaszyfrowana notatka
help-cases-hold--reason = Dlaczego trzeba ją zachować (zaszyfrowane, nigdy jawnie)
help-cases-release = Zwalnia zatrzymanie: sprawa zostanie usunięta przy najbliższej retencji, jeśli minął jej termin
help-cases-release--proceedings_ended = Dzień zakończenia postępowania wszczętego w wyniku sprawy (RRRR-MM-DD): sprawę przechowuje się 3 lata po końcu tego roku, jeśli to później niż po działaniach następczych
help-cases-mark-irrelevant = Odnotowuje, że załącznik lub notatka są nieprzydatne dla zgłoszenia: zostaną usunięte w ciągu 14 dni (najpóźniej przez codzienną retencję; wcześniej `cases redact`). Widoczne w `cases due`
help-cases-mark-irrelevant--attachment = Numer załącznika w `cases show` (od 1)
help-cases-mark-irrelevant--note = Numer notatki w `cases history`
help-cases-mark-irrelevant--reason = Dlaczego jest nieprzydatny (zaszyfrowany jako notatka, nigdy jawnie)
help-cases-redact = Usuwa teraz załącznik lub notatkę uznane za nieprzydatne; reszta sprawy nadal się otwiera
help-cases-redact--attachment = Numer załącznika (od 1)
help-cases-redact--note = Numer notatki w `cases history`
help-cases-set-category = Ustala przedmiot naruszenia (kategorię z art. 3 ustawy)
help-cases-set-category--category = Kategoria, np. corruption, public-procurement, privacy, other
help-cases-history = Pola rejestru, działania następcze i otwarte notatki sprawy (odnotowane w dzienniku)
help-cases-ack-text = Wypisuje tekst potwierdzenia przyjęcia dla sygnalisty (po polsku; --lang en po angielsku). Wyślij go sam, potem zapisz datę: `cases status NUMER acknowledged --on DATA`
help-cases-ack-text--lang = pl (domyślnie) albo en
help-cases-due = Terminy bieżące i przekroczone, najbliższe najpierw (bez treści; klucz zbędny)
help-cases-due--within = Tylko terminy w ciągu tylu dni (przekroczone zawsze)
help-cases-reply = Pisze do sygnalisty przez bramkę (adresu nie widzisz): tekst z --file albo ze standardowego wejścia, zaszyfrowany jego kluczem, jeśli go podał. Zapisywane jako działanie „kontakt z sygnalistą” z zaszyfrowaną treścią
help-cases-reply--file = Czyta odpowiedź z tego pliku zamiast ze standardowego wejścia
help-cases-reply--feedback = To ustawowa informacja zwrotna (art. 27): z datą przyjęcia przez serwer
help-cases-end-contact = Kończy kontakt z sygnalistą (prosił, by do niego nie pisać): jego adres, klucz i token odpowiedzi są niszczone; niewysłane wiadomości przepadają
help-cases-end-contact--reason = Dlaczego, w jednym wierszu (zapisane dosłownie: bez nazwisk)
help-cases-export = Zapisuje pełne akta sprawy (zgłoszenie, załączniki, notatki, działania; nigdy tożsamość): do folderu (JSON, załączniki i case.pdf do wydruku) albo jako PDF do wydruku
help-cases-export--out = Nowy folder docelowy (zakładany z prawami 0700, pliki 0600)
help-cases-export--pdf = Zapisuje akta do wydruku (PDF, A4) w tym nowym pliku (0600)
help-cases-export--lang = Język wydruku: pl (domyślnie) albo en

## sygnal identity
help-identity-unseal = Otwiera zaszyfrowany zapis tożsamości sprawy (klucz powiernika; powód trafia do dziennika)
help-identity-unseal--key = Plik z kluczem prywatnym powiernika
help-identity-unseal--reason = Dlaczego tożsamość jest potrzebna (zapisywane w dzienniku)
help-identity-disclose = Odnotowuje ujawnienie tożsamości sygnalisty osobie trzeciej (klucz powiernika)
help-identity-disclose--key = Plik z kluczem prywatnym powiernika
help-identity-disclose--to = Komu ujawniono tożsamość (np. „Prokuratura Rejonowa Warszawa-Mokotów”)
help-identity-disclose--legal_basis = Podstawa prawna (np. „art. 8 ust. 3 ustawy o ochronie sygnalistów; postanowienie …”)
help-identity-disclose--reason = Dlaczego
help-identity-disclose--reporter_notice = informed (sygnalistę uprzedzono) albo withheld-would-endanger (nie uprzedzono, bo zagroziłoby to postępowaniu)
help-identity-log = Każdy odczyt i każde ujawnienie tożsamości, także jednej sprawy. Z kluczem powiernika widać też zaszyfrowane powody, adresatów i podstawy prawne
help-identity-log--key = Klucz prywatny powiernika, by otworzyć zaszyfrowane powody
help-cases-list--key = Klucz prywatny osoby rozpatrującej: pokazuje też temat każdej sprawy (każde otwarcie trafia do dziennika)
help-cases-search = Przeszukuje tematy i treści wszystkich spraw, które otwiera twój klucz, także odpowiedzi sygnalisty (każda przeszukana sprawa jest odnotowana jako otwarta)
help-cases-search--text = Szukany tekst (co najmniej 3 znaki; wielkość liter bez znaczenia)

<?php
// A main server's export script of the XAMPP era: a latin1 connection (MySQL's latin1 is Windows-1252),
// XML built by hand under an ISO-8859-1 declaration, each value indented on a line of its own, CRLF.
[$script, $socket, $database, $table, $out] = $argv;
$link = mysqli_connect('localhost', 'root', '', $database, 0, $socket);
mysqli_set_charset($link, 'latin1');
$result = mysqli_query($link, "SELECT * FROM `$table`");
$xml = '<?xml version="1.0" encoding="ISO-8859-1"?>' . "\r\n<$table>\r\n";
while ($row = mysqli_fetch_assoc($result)) {
    $xml .= "  <row>\r\n";
    foreach ($row as $column => $value) {
        $xml .= "    <$column>\r\n      " . htmlspecialchars((string) $value, ENT_XML1, 'ISO-8859-1') . "\r\n    </$column>\r\n";
    }
    $xml .= "  </row>\r\n";
}
file_put_contents($out, $xml . "</$table>\r\n");

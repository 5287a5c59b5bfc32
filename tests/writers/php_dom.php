<?php
// A main server's export written with PHP's DOMDocument (UTF-8, formatOutput): NULL is an empty element.
[$script, $socket, $database, $table, $out] = $argv;
$link = mysqli_connect('localhost', 'root', '', $database, 0, $socket);
mysqli_set_charset($link, 'utf8mb4');
$result = mysqli_query($link, "SELECT * FROM `$table`");
$doc = new DOMDocument('1.0', 'UTF-8');
$doc->formatOutput = true;
$root = $doc->appendChild($doc->createElement($table));
while ($row = mysqli_fetch_assoc($result)) {
    $element = $root->appendChild($doc->createElement('row'));
    foreach ($row as $column => $value) {
        $cell = $element->appendChild($doc->createElement($column));
        if ($value !== null) {
            $cell->appendChild($doc->createTextNode($value));
        }
    }
}
$doc->save($out);

<?php
// Runs Moodle's own offline-grading importer (mod/assign/feedback/offline/importgradeslib.php) and CSV
// reader (lib/csvlib.class.php), taken from a Moodle source tree, on a filled grading worksheet, with the
// thinnest stand-in for the Moodle globals they touch (no database, no web server).
//
//   php importeur_hors_ligne.php MOODLE_SRC FEUILLE.csv ENCODAGE SEPARATEUR LANGUE PARTICIPANTS.json NOTE_MAX
//
// PARTICIPANTS.json: {"<participant number>": "<full name>", ...} (the enrolled users).
// Prints JSON: {"importe": true, "lignes": [{"participant", "note", "ignoree", "commentaire"}]} or
// {"importe": false, "erreur": "..."} when Moodle's init() refuses the file.
// The per-row rules of assign_feedback_offline::process_import_grades (a grade read with unformat_float,
// skipped when empty, negative or above the maximum) are restated below: that method needs the database.

define('MOODLE_INTERNAL', true);

[$script, $src, $worksheet, $encoding, $separator, $lang, $participantsfile, $maxgrade] = $argv;

$CFG = new stdClass();
$CFG->tempdir = sys_get_temp_dir() . '/moodle-importeur-' . getmypid();
$USER = new stdClass();
$USER->id = 2;

// Moodle's strings used by the importer, by language (lang/en in moodle/moodle, and the French pack).
const STRINGS = [
    'en' => ['gradenoun' => 'Grade', 'recordid' => 'Identifier', 'lastmodifiedgrade' => 'Last modified (grade)',
             'hiddenuser' => 'Participant ', 'feedbackcomments' => 'Feedback comments', 'decsep' => '.'],
    'fr' => ['gradenoun' => 'Note', 'recordid' => 'Identifiant', 'lastmodifiedgrade' => 'Dernière modification (note)',
             'hiddenuser' => 'Participant ', 'feedbackcomments' => 'Feedback par commentaires', 'decsep' => ','],
];

function get_string($identifier, $component = '', $a = null) {
    global $lang;
    return STRINGS[$lang][$identifier] ?? "[[$identifier]]";
}

function make_temp_directory($directory) {
    global $CFG;
    $path = $CFG->tempdir . '/' . trim($directory, '/');
    if (!is_dir($path)) {
        mkdir($path, 0700, true);
    }
    return $path;
}

function remove_dir($dir) {
    foreach (glob("$dir/*") ?: [] as $item) {
        is_dir($item) ? remove_dir($item) : unlink($item);
    }
    return @rmdir($dir);
}

function groups_get_activity_groupmode($cm) {
    return 0;  // no groups in the course
}

// lib/moodlelib.php unformat_float(): the language's decimal separator becomes a dot, spaces go.
function unformat_float($localefloat) {
    $localefloat = trim((string)$localefloat);
    if ($localefloat === '') {
        return null;
    }
    $localefloat = str_replace(' ', '', $localefloat);
    $localefloat = str_replace(get_string('decsep', 'langconfig'), '.', $localefloat);
    return (float)$localefloat;
}

class core_text {
    public static function convert($text, $fromcs, $tocs = 'utf-8') {
        return iconv($fromcs, $tocs, $text);
    }
    public static function trim_utf8_bom($str) {
        return str_starts_with($str, "\xef\xbb\xbf") ? substr($str, 3) : $str;
    }
}

// The feedback comments plugin as the importer sees it: one editor field titled with its plugin name.
class comments_plugin {
    public function is_enabled() { return true; }
    public function is_visible() { return true; }
    public function get_editor_fields() { return ['comments' => get_string('feedbackcomments')]; }
}

// The assignment: its enrolled participants, identified by their participant number.
class assign {
    public function __construct(private array $participants) {}
    public function get_feedback_plugins() { return [new comments_plugin()]; }
    public function get_course_module() { return new stdClass(); }
    public function list_participants($groupid, $idsonly) {
        $users = [];
        foreach ($this->participants as $number => $name) {
            $users[(int)$number] = (object)['id' => (int)$number, 'fullname' => $name];
        }
        return $users;
    }
    public function get_user_id_for_uniqueid($uniqueid) {
        return array_key_exists($uniqueid, $this->participants) ? (int)$uniqueid : false;
    }
}

require($src . '/lib/csvlib.class.php');
require($src . '/mod/assign/feedback/offline/importgradeslib.php');

$participants = json_decode(file_get_contents($participantsfile), true);
$importid = csv_import_reader::get_new_iid('assignfeedback_offline');  // as upload_grades() does
$importer = new assignfeedback_offline_grade_importer($importid, new assign($participants), $encoding, $separator);
$importer->parsecsv(file_get_contents($worksheet));
if (!$importer->init()) {
    echo json_encode(['importe' => false, 'erreur' => 'invalidgradeimport']), "\n";
    exit(0);
}
$rows = [];
while ($record = $importer->next()) {
    $grade = unformat_float($record->grade);
    $skipped = $grade === null || $grade < 0 || $grade > (float)$maxgrade;
    $comment = null;
    foreach ($record->feedback as $feedback) {
        $comment = $feedback['value'];
    }
    $rows[] = ['participant' => $record->user->id, 'note' => $grade, 'ignoree' => $skipped,
               'commentaire' => $comment];
}
$importer->close(true);
remove_dir($CFG->tempdir);
echo json_encode(['importe' => true, 'lignes' => $rows], JSON_UNESCAPED_UNICODE), "\n";

<?php
// Drives a real Moodle site from the command line for scripts/moodle/verifier_moodle_complet.sh.
//
//   php moodle_reel.php MOODLE_DIR preparer PARTICIPANTS.json   creates the course, users, assignment; prints JSON
//   php moodle_reel.php MOODLE_DIR telecharger                  prints the offline grading worksheet (CSV)
//   php moodle_reel.php MOODLE_DIR importer FEUILLE.csv         imports it through the offline feedback plugin
//   php moodle_reel.php MOODLE_DIR lire                         prints {"<participant>": {"note", "commentaire"}}
//
// PARTICIPANTS.json: ["Prénom Nom", ...]. The assignment is the single assignment of the course "kitchat".

define('CLI_SCRIPT', true);
[$script, $moodledir, $action] = $argv;
require($moodledir . '/config.php');
require_once($CFG->dirroot . '/mod/assign/locallib.php');
require_once($CFG->libdir . '/testing/generator/lib.php');
require_once($CFG->libdir . '/csvlib.class.php');
require_once($CFG->dirroot . '/mod/assign/feedback/offline/importgradeslib.php');

\core\session\manager::set_user(get_admin());

function kit_assignment(): assign {
    global $DB;
    $course = $DB->get_record('course', ['shortname' => 'kitchat'], '*', MUST_EXIST);
    $cm = get_coursemodule_from_instance('assign', $DB->get_field('assign', 'id', ['course' => $course->id]), $course->id);
    return new assign(context_module::instance($cm->id), $cm, $course);
}

if ($action === 'preparer') {
    $generator = new testing_data_generator();
    $course = $generator->create_course(['shortname' => 'kitchat', 'fullname' => 'Serveur de chat']);
    $assign = $generator->create_module('assign', [
        'course' => $course->id, 'name' => 'TD Serveur de chat', 'grade' => 20,
        'assignsubmission_file_enabled' => 1, 'assignsubmission_file_maxfiles' => 5,
        'assignfeedback_offline_enabled' => 1, 'assignfeedback_comments_enabled' => 1,
    ]);
    $assignment = kit_assignment();
    $numbers = [];
    foreach (json_decode(file_get_contents($argv[3]), true) as $fullname) {
        [$first, $last] = explode(' ', $fullname, 2);
        $user = $generator->create_user(['firstname' => $first, 'lastname' => $last]);
        $generator->enrol_user($user->id, $course->id, 'student');
        $numbers[$fullname] = $assignment->get_uniqueid_for_user($user->id);
    }
    echo json_encode(['release' => $CFG->release, 'participants' => $numbers], JSON_UNESCAPED_UNICODE), "\n";
} else if ($action === 'telecharger') {
    require_once($CFG->dirroot . '/mod/assign/gradingtable.php');
    $assignment = kit_assignment();
    $table = new assign_grading_table($assignment, 0, '', 0, false, 'feuille');
    $table->out(0, false);  // the download the teacher gets: CSV on the standard output
} else if ($action === 'importer') {
    global $USER;
    $assignment = kit_assignment();
    $plugin = $assignment->get_feedback_plugin_by_type('offline');
    $draftid = file_get_unused_draft_itemid();
    get_file_storage()->create_file_from_string([
        'contextid' => context_user::instance($USER->id)->id, 'component' => 'user', 'filearea' => 'draft',
        'itemid' => $draftid, 'filepath' => '/', 'filename' => 'feuille.csv'], file_get_contents($argv[3]));
    $_POST['sesskey'] = sesskey();
    $importid = csv_import_reader::get_new_iid('assignfeedback_offline');
    $html = $plugin->process_import_grades($draftid, $importid, true, 'UTF-8', 'comma');
    fwrite(STDERR, strip_tags($html) . "\n");
} else if ($action === 'lire') {
    $assignment = kit_assignment();
    $comments = $assignment->get_feedback_plugin_by_type('comments');
    $read = [];
    foreach ($assignment->list_participants(0, false) as $user) {
        $grade = $assignment->get_user_grade($user->id, false);
        $read[$assignment->get_uniqueid_for_user($user->id)] = [
            'note' => ($grade && $grade->grade !== null && $grade->grade >= 0) ? (float)$grade->grade : null,
            'commentaire' => $grade ? $comments->get_editor_text('comments', $grade->id) : null,
        ];
    }
    echo json_encode($read, JSON_UNESCAPED_UNICODE), "\n";
}

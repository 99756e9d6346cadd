// camsweep hand-held enclosure: a body (the face toward the room, with the camera and IR
// ring) and a lid (the face toward you, with the OLED and the two buttons).
//
// Hold it like a phone: the camera looks out of the back face, the OLED sits right behind
// it on the front face, so you aim by looking at the screen. The Pi fills the lower part
// of the left column, the RTL-SDR runs up the right column with its antenna out of the top
// end, as far from the Pi and your hand as the box allows.
//
// Export (OpenSCAD 2021.01):
//   openscad -o camsweep_body.stl -D 'part="body"' camsweep_enclosure.scad
//   openscad -o camsweep_lid.stl  -D 'part="lid"'  camsweep_enclosure.scad
// or `python3 hardware/tools/export_stl.py`, which also writes compact binary STLs.
//
// Measure your camera module before printing: lens_r, lens_housing_w and lens_housing_h
// decide how close the LEDs sit to the lens (echoed as "ring_r" when you render).

part = "assembly";   // body | lid | assembly
board = "pi4";       // pi4 | pi5 | zero2w (the Pi 4 and Pi 5 share one footprint)
fn = 40;             // facets per circle; lower for a quick preview
$fn = fn;

// ---- shell -----------------------------------------------------------------------------
wall = 2.2;
floor_t = 2.4;       // the room-facing face
lid_t = 2.4;         // the user-facing face
corner_r = 5;
clear = 1.5;         // air around boards
height = 36;         // outside, body + lid

// ---- Raspberry Pi ----------------------------------------------------------------------
function pi_size(b) = b == "zero2w" ? [30, 65] : [56, 85];              // [x, y] as laid in the box
function pi_holes(b) = b == "zero2w"
    ? [[3.5, 3.5], [26.5, 3.5], [3.5, 61.5], [26.5, 61.5]]
    : [[3.5, 23.5], [52.5, 23.5], [3.5, 81.5], [52.5, 81.5]];           // USB/Ethernet end at y = 0
function power_port_y(b) = b == "zero2w" ? 54 : 73.8;                   // USB-C / PWR IN from the y = 0 end
standoff_h = 5;
standoff_d = 6;
pilot_d = 2.2;       // M2.5 self-tapping pilot
cable_bay = 16;      // below the Pi: the SDR's USB extension plugs in here
pi_col_w = 56 + 2 * clear;   // the column is sized for the large boards either way

// ---- camera and IR ring ----------------------------------------------------------------
cam_pcb = [25, 24];
cam_pcb_t = 1.0;
lens_offset_y = 2.5;    // lens centre above the PCB centre (toward the top of the box)
lens_r = 4.0;           // clear radius of the lens opening
lens_housing_w = 9.0;   // square housing around the lens
lens_housing_h = 5.5;   // housing height above the PCB
half_fov = 40;          // half the diagonal field of view (Camera Module 3: 75 deg diagonal)
led_hole_d = 5.2;       // 5 mm (T-1 3/4) LEDs
led_flange_d = 6.0;
led_flange_t = 1.2;
n_leds = 8;
boss_t = 6.0;           // thickness of the face around the lens: the LEDs' seat
lead_gap = 3.0;         // between the ring and the camera PCB: LED leads and solder joints
web = 0.8;              // least plastic between two holes
top_region = 44;        // above the Pi: camera, ring, driver perfboard, OLED

// Derived ring geometry: the LEDs sit just outside the cone the lens sees through.
lens_depth = max(0, boss_t + lead_gap - lens_housing_h);
aperture_r = lens_r + lens_depth * tan(half_fov) + 0.4;
ring_r = max(aperture_r + web + led_hole_d / 2,
             lens_housing_w / sqrt(2) + web + led_flange_d / 2);
boss_r = ring_r + led_flange_d / 2 + 2;
echo(str("ring_r = ", ring_r, " mm (LED centre to lens axis); aperture_r = ", aperture_r, " mm"));

// ---- RTL-SDR ---------------------------------------------------------------------------
sdr_size = [26, 72, 13];   // dongle body w, l, h (RTL-SDR Blog V4; V3 is similar)
sdr_sma_d = 7.0;           // hole for the dongle's SMA jack through the top wall
divider_t = 2.0;
sdr_col_w = sdr_size[0] + 2 * clear;

// ---- OLED and buttons (in the lid) -----------------------------------------------------
oled_pcb = [27.5, 28];
oled_holes = [23.5, 23.8];     // hole spacing x, y
oled_window = [24, 13];        // a little larger than the 21.7 x 10.9 mm active area
oled_window_offset = [0, 3];   // active area centre from the PCB centre
oled_drop = 4.5;               // PCB back to lid inside: glass + PCB
button_hole_d = 12.6;          // 12 mm tactile switch caps
button_pitch = 18;
button_board_drop = 9.5;       // lid inside to button perfboard: switch + cap height

// ---- derived box -----------------------------------------------------------------------
inner_w = pi_col_w + divider_t + sdr_col_w;
inner_l = cable_bay + pi_size("pi4")[1] + top_region;
outer = [inner_w + 2 * wall, inner_l + 2 * wall];
body_h = height - lid_t;
pi_origin = [wall + clear, wall + cable_bay];
pi_z = floor_t + standoff_h;
lens = [wall + pi_col_w / 2, wall + cable_bay + pi_size("pi4")[1] + top_region / 2];
sdr_x = wall + pi_col_w + divider_t + sdr_col_w / 2;
buttons = [[sdr_x, lens[1] + button_pitch / 2], [sdr_x, lens[1] - button_pitch / 2]];
post_d = 8;
post_inset = wall + post_d / 2 - 0.5;
posts = [[post_inset, post_inset], [outer[0] - post_inset, post_inset],
         [post_inset, outer[1] - post_inset], [outer[0] - post_inset, outer[1] - post_inset]];

module rounded_box(size, r, h) {
    hull() for (x = [r, size[0] - r], y = [r, size[1] - r]) translate([x, y, 0]) cylinder(r = r, h = h);
}

module shell() {
    difference() {
        rounded_box(outer, corner_r, body_h);
        translate([wall, wall, floor_t])
            rounded_box([inner_w, inner_l], corner_r - wall, body_h);
    }
}

module ring_boss() {
    translate([lens[0], lens[1], 0]) cylinder(r = boss_r, h = boss_t);
    // Rails that hold the camera PCB by its edges, lens centred on the ring; the camera
    // slides in from below, its ribbon toward the Pi.
    cam_c = [lens[0], lens[1] - lens_offset_y];
    z0 = boss_t + lead_gap;
    for (s = [-1, 1])
        translate([cam_c[0] + s * (cam_pcb[0] / 2 + 1) - 2, cam_c[1] - cam_pcb[1] / 2, 0])
            difference() {
                cube([4, cam_pcb[1] + 2, z0 + cam_pcb_t + 2]);
                translate([s < 0 ? 2.8 : -1, -1, z0]) cube([2.2, cam_pcb[1] + 1, cam_pcb_t + 0.3]);
            }
}

module ring_holes() {
    translate([lens[0], lens[1], -1]) {
        // The cone the lens looks through, from the lens front to the outside face.
        translate([0, 0, 1 + boss_t - (boss_t - lens_depth)])
            cylinder(r = lens_housing_w / sqrt(2) + 0.3, h = boss_t + 1);
        cylinder(r1 = aperture_r, r2 = lens_r + 0.4, h = lens_depth + 1.01);
        for (i = [0 : n_leds - 1]) rotate(360 * i / n_leds) translate([ring_r, 0, 0]) {
            cylinder(d = led_hole_d, h = boss_t + 2);
            translate([0, 0, 1 + boss_t - led_flange_t]) cylinder(d = led_flange_d, h = led_flange_t + 1);
        }
    }
}

module pi_standoffs() {
    for (h = pi_holes(board)) translate([pi_origin[0] + h[0], pi_origin[1] + h[1], 0])
        cylinder(d = standoff_d, h = pi_z);
}

module pi_standoff_holes() {
    for (h = pi_holes(board)) translate([pi_origin[0] + h[0], pi_origin[1] + h[1], floor_t])
        cylinder(d = pilot_d, h = standoff_h + 1);
}

module sdr_cradle() {
    y1 = wall + inner_l;
    for (s = [-1, 1]) translate([sdr_x + s * (sdr_size[0] / 2 + 0.6) - 0.8, y1 - sdr_size[1] - 4, 0])
        cube([1.6, sdr_size[1] + 4, floor_t + 7]);
    // Divider between the Pi column and the SDR column: a guide and a cable fence.
    translate([wall + pi_col_w, wall + cable_bay, 0]) cube([divider_t, inner_l - cable_bay, floor_t + 12]);
}

// Posts for the driver perfboard (ring MOSFET, transistor drivers), above the camera.
driver_posts = [for (sx = [-1, 1], sy = [-1, 1]) [lens[0] + sx * 21, lens[1] + sy * 11]];
driver_post_h = 13;

module driver_board_posts() {
    for (p = driver_posts) translate([p[0], p[1], 0]) cylinder(d = 5, h = driver_post_h);
}

module driver_board_holes() {
    for (p = driver_posts) translate([p[0], p[1], driver_post_h - 6]) cylinder(d = 1.7, h = 7);
}

module lid_posts() {
    for (p = posts) translate([p[0], p[1], 0]) cylinder(d = post_d, h = body_h);
}

module lid_post_holes() {
    for (p = posts) translate([p[0], p[1], body_h - 6]) cylinder(d = 4.2, h = 7);   // M3 heat-set insert
}

module openings() {
    // USB power cable into the Pi's USB-C (micro-USB PWR IN on a Zero 2 W).
    translate([-1, pi_origin[1] + power_port_y(board) - 7, pi_z + 1.4 - 1.5]) cube([wall + 2, 14, 8.5]);
    // The dongle's SMA jack through the top wall; the antenna screws on outside.
    translate([sdr_x, outer[1] - wall - 1, floor_t + sdr_size[2] / 2])
        rotate([-90, 0, 0]) cylinder(d = sdr_sma_d, h = wall + 2);
    // Vents beside the SDR, which runs warm.
    for (i = [0 : 4]) translate([outer[0] - wall - 1, outer[1] - 20 - i * 8, floor_t + 4])
        cube([wall + 2, 4, 12]);
}

module body() {
    difference() {
        union() {
            shell();
            ring_boss();
            pi_standoffs();
            sdr_cradle();
            lid_posts();
            driver_board_posts();
        }
        ring_holes();
        driver_board_holes();
        pi_standoff_holes();
        lid_post_holes();
        openings();
    }
}

module lid() {
    lip = 2;
    difference() {
        union() {
            rounded_box(outer, corner_r, lid_t);
            // Locating lip just inside the body's walls.
            translate([wall + 0.3, wall + 0.3, -lip]) difference() {
                rounded_box([inner_w - 0.6, inner_l - 0.6], corner_r - wall, lip);
                translate([1.2, 1.2, -1]) rounded_box([inner_w - 3, inner_l - 3], corner_r - wall - 1, lip + 2);
            }
            // OLED posts and button-board posts hang from the lid's inside.
            for (sx = [-1, 1], sy = [-1, 1])
                translate([lens[0] + sx * oled_holes[0] / 2, lens[1] - oled_window_offset[1] + sy * oled_holes[1] / 2, -oled_drop])
                    cylinder(d = 4.5, h = oled_drop);
            for (sy = [-1, 1])
                translate([sdr_x - 15, lens[1] + sy * (button_pitch / 2 + 11), -button_board_drop])
                    cylinder(d = 5, h = button_board_drop);
        }
        // OLED window, centred over the lens so the screen and the camera share an axis.
        translate([lens[0] - oled_window[0] / 2, lens[1] - oled_window[1] / 2, -1])
            cube([oled_window[0], oled_window[1], lid_t + 2]);
        for (sx = [-1, 1], sy = [-1, 1])
            translate([lens[0] + sx * oled_holes[0] / 2, lens[1] - oled_window_offset[1] + sy * oled_holes[1] / 2, -oled_drop - 1])
                cylinder(d = 1.7, h = oled_drop + 0.5);   // M2 self-tapping
        for (b = buttons) translate([b[0], b[1], -1]) cylinder(d = button_hole_d, h = lid_t + 2);
        for (sy = [-1, 1])
            translate([sdr_x - 15, lens[1] + sy * (button_pitch / 2 + 11), -button_board_drop - 1])
                cylinder(d = 1.7, h = button_board_drop);
        // Countersunk M3 screws into the body's inserts.
        for (p = posts) translate([p[0], p[1], -lip - 1]) {
            cylinder(d = 3.4, h = lid_t + lip + 2);
            translate([0, 0, lip + 1 + lid_t - 1.7]) cylinder(d1 = 3.4, d2 = 6.6, h = 1.71);
        }
        // Vents over the Pi's processor.
        for (i = [0 : 5]) translate([pi_origin[0] + 12 + i * 6, pi_origin[1] + 30, -lip - 1])
            cube([3, 30, lid_t + lip + 2]);
    }
}

if (part == "body") body();
else if (part == "lid") translate([0, outer[1], lid_t]) rotate([180, 0, 0]) lid();   // print face down
else {
    color("DimGray") body();
    color("LightGray", 0.6) translate([0, 0, body_h + 2]) lid();
}
